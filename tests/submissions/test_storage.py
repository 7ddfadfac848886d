"""Artifact files on disk: published only after the commit, swept when orphaned or expired, a full disk or a
spent quota answered with a message beside the file field while the text is saved, zip bombs refused."""

import errno
import io
import os
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.audit import utcnow
from portal.extensions import db
from portal.submissions import services, storage, uploads
from portal.submissions.models import Artifact, State
from tests.conftest import TINY_PDF


@pytest.fixture
def folder(app, plan_draft, tmp_path) -> Path:
    """An empty upload folder from here on (the earned prerequisite's files stay in the first one)."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "under-test")
    return Path(app.config["UPLOAD_FOLDER"])


def names_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def attach(submission, educator, app, content=TINY_PDF, filename="plan.pdf"):
    return services.add_artifact(educator=educator, submission=submission, part_key="plan",
                                 stream=io.BytesIO(content), filename=filename, config=app.config)


def test_files_are_temporary_until_the_commit_then_published(app, folder, plan_draft, educator):
    artifact = attach(plan_draft, educator, app)
    expected = {artifact.stored_name, artifact.blind_name}
    assert names_in(folder) == {name + uploads.TEMP_SUFFIX for name in expected}
    db.session.commit()
    assert names_in(folder) == expected
    assert (folder / artifact.stored_name).read_bytes() == TINY_PDF


def test_a_rolled_back_upload_leaves_no_file(app, folder, plan_draft, educator):
    attach(plan_draft, educator, app)
    db.session.rollback()
    assert names_in(folder) == set()


def test_a_removed_file_is_deleted_only_after_the_commit(app, folder, plan_draft, educator):
    artifact = attach(plan_draft, educator, app)
    db.session.commit()
    services.remove_artifact(educator=educator, submission=plan_draft, artifact=artifact, upload_folder=folder)
    assert len(names_in(folder)) == 2  # a rollback now would still find them
    db.session.commit()
    assert names_in(folder) == set()


def age(path: Path, seconds: int) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_sweep_removes_orphans_and_stale_temporary_files_and_publishes_committed_ones(app, folder, plan_draft,
                                                                                      educator):
    kept = attach(plan_draft, educator, app)
    db.session.commit()
    orphan = uploads.store_upload(io.BytesIO(b"left by a killed worker"), folder)  # a file without a row
    stale = uploads.stage_file(b"an upload that never committed", folder)
    age(uploads.temp_path(folder, stale), 2 * 3600)
    fresh = uploads.stage_file(b"an upload still in progress", folder)
    # A worker killed between the commit and the rename: the row exists, the file is still temporary.
    uploads.temp_path(folder, kept.blind_name).write_bytes((folder / kept.blind_name).read_bytes())
    (folder / kept.blind_name).unlink()
    (folder / "README").write_text("not ours")

    report = storage.sweep(directory=folder, retention_days=90)

    assert (report.published, report.removed, report.expired) == (1, 2, 0)
    assert names_in(folder) == {kept.stored_name, kept.blind_name, fresh + uploads.TEMP_SUFFIX, "README"}
    assert orphan not in names_in(folder)


def test_sweep_command_reports(app, folder):
    uploads.store_upload(io.BytesIO(b"orphan"), folder)
    result = app.test_cli_runner().invoke(args=["uploads", "sweep"])
    assert result.exit_code == 0, result.output
    assert "removed 1 orphan file(s)" in result.output


def test_files_of_long_withdrawn_versions_are_removed_after_the_retention_period(app, folder, make_user,
                                                                                 make_submission):
    old, recent = (make_user(name=name) for name in ("Old Withdrawal", "Recent Withdrawal"))
    files = {}
    for educator in (old, recent):
        submission = make_submission(educator=educator, slug="district-plan", state=State.DRAFT)
        files[educator.id] = attach(submission, educator, app)
        db.session.commit()
        services.withdraw(educator=educator, submission=submission)
        db.session.commit()
    files[old.id].version.withdrawn_at = utcnow() - timedelta(days=91)
    db.session.commit()
    old_names = {files[old.id].stored_name, files[old.id].blind_name}
    recent_names = {files[recent.id].stored_name, files[recent.id].blind_name}

    before = names_in(folder)  # also the files of the prerequisites both earned
    assert old_names | recent_names <= before

    report = storage.sweep(directory=folder, retention_days=90)

    assert report.expired == 1
    assert names_in(folder) == before - old_names
    left = db.session.scalars(select(Artifact.stored_name).where(Artifact.id.in_([a.id for a in files.values()])))
    assert left.all() == [files[recent.id].stored_name]


def test_full_disk_keeps_the_text_and_says_so_beside_the_file_field(app, client, folder, plan_draft, monkeypatch):
    def disk_full(stream, out):
        out.write(stream.read(10))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(uploads, "copy_stream", disk_full)
    data = {"revision": "1", "action": "save", "overview-text": "Our district's homework gap, in numbers.",
            "plan-files": (io.BytesIO(TINY_PDF), "plan.pdf")}
    response = client.post(f"/submissions/{plan_draft.id}/save", data=data, content_type="multipart/form-data")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = page[page.index('id="plan-files-error"'):]
    assert "The file could not be stored (no space left)." in error[:error.index("</p>")]
    db.session.expire_all()
    version = plan_draft.current_version
    assert version.answers["overview"]["text"] == "Our district's homework gap, in numbers."
    assert version.revision == 2 and version.artifacts == []
    assert names_in(folder) == set()  # nothing half-written left behind


def test_quota_refuses_a_file_beyond_it_with_a_message(app, client, plan_draft, educator):
    app.config["UPLOAD_QUOTA_BYTES"] = storage.used_bytes(educator.id) + len(TINY_PDF) * 2
    attach(plan_draft, educator, app, filename="one.pdf")
    attach(plan_draft, educator, app, filename="two.pdf")
    db.session.commit()
    with pytest.raises(uploads.UploadRejected, match="more than the .* each account may use"):
        attach(plan_draft, educator, app, filename="three.pdf")


def test_quota_counts_a_file_carried_by_several_versions_once(app, make_user, make_submission):
    educator = make_user()
    submission = make_submission(educator=educator, slug="foundations", state=State.NOT_YET)
    services.transition(submission, State.DRAFT, actor=educator)  # version 2 carries version 1's file
    db.session.commit()
    assert len(submission.versions) == 2 and len(submission.current_version.artifacts) == 1
    assert storage.used_bytes(educator.id) == len(TINY_PDF)


def office_with(member: str, size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<x/>")
        archive.writestr(member, b"\0" * size)
    return out.getvalue()


def test_zip_bomb_office_file_is_refused(app, client, plan_draft):
    bomb = office_with("word/media/padding.bin", 8 * 1024 * 1024)
    assert len(bomb) < 100 * 1024
    data = {"revision": "1", "action": "save", "plan-files": (io.BytesIO(bomb), "plan.docx")}
    response = client.post(f"/submissions/{plan_draft.id}/save", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "“plan.docx” unpacks to 8.1 MB, far more than any real document" in response.get_data(as_text=True)


def test_archive_declaring_a_huge_size_is_refused_before_unpacking(monkeypatch):
    stream = io.BytesIO(office_with("word/document2.xml", 1000))
    monkeypatch.setattr(uploads, "ARCHIVE_MAX_UNPACKED", 100)
    with pytest.raises(uploads.UploadRejected, match="unpacks to"):
        uploads.check_archive(stream, "plan.docx")
    uploads.check_archive(io.BytesIO(office_with("word/document2.xml", 10)), "plan.docx")  # within the default


def test_sweep_makes_the_reviewers_copy_of_files_uploaded_before_copies_existed(app, folder, plan_draft, educator):
    artifact = attach(plan_draft, educator, app)
    db.session.commit()
    (folder / artifact.blind_name).unlink()
    artifact.blind_name = None  # as a row from before migration 0009
    db.session.commit()

    report = storage.sweep(directory=folder, retention_days=90)

    db.session.expire_all()
    assert report.copied == 1 and artifact.blind_name
    assert (folder / artifact.blind_name).read_bytes().startswith(b"%PDF-")
    assert names_in(folder) == {artifact.stored_name, artifact.blind_name}


def test_the_file_field_tells_the_educator_what_blind_reviewers_get(client, plan_draft):
    page = client.get(f"/submissions/{plan_draft.id}").get_data(as_text=True)
    assert "reviewers get a copy of each file without its" in page
    assert "names written in the text itself stay" in page
