"""Artifact files on disk, kept in step with the database.

A new file is written under a temporary name (uploads.stage_file) and published, renamed to its final name,
only after the transaction that records it commits; a file that is no longer used is deleted only after the
transaction that stops using it commits. If the transaction rolls back, its temporary files are deleted. A worker
killed in between leaves a temporary file, or a file without a row: sweep() (`flask uploads sweep`) tidies both,
and removes the files of withdrawn versions nobody can reach any more once UPLOAD_RETENTION_DAYS have passed.
"""

import errno
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, event, func, select, union, update
from sqlalchemy.orm import Session

from portal import audit
from portal.audit import utcnow
from portal.extensions import db
from portal.submissions import blind, uploads
from portal.submissions.models import Artifact, State, Submission, Version

log = logging.getLogger(__name__)

_STAGED = "portal.storage.staged"  # (directory, stored_name): publish on commit, delete on rollback
_UNUSED = "portal.storage.unused"  # (directory, stored_name): delete on commit
TEMP_MAX_AGE_SECONDS = 3600
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def publish_on_commit(directory: Path, *stored_names: str) -> None:
    db.session.info.setdefault(_STAGED, []).extend((directory, name) for name in stored_names)


def delete_on_commit(directory: Path, *stored_names: str) -> None:
    db.session.info.setdefault(_UNUSED, []).extend((directory, name) for name in stored_names)


def discard(directory: Path, *stored_names: str) -> None:
    """Delete staged files at once (a failed upload)."""
    for name in stored_names:
        uploads.temp_path(directory, name).unlink(missing_ok=True)


def storage_problem(error: OSError, display: str) -> str:
    """The message shown beside the file field when the disk refused a file."""
    if error.errno in NO_SPACE:
        return f"“{display}” was not added. The file could not be stored (no space left). Your text was saved."
    return f"“{display}” was not added. The file could not be stored. Your text was saved; please try again."


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for directory, name in session.info.pop(_STAGED, []):
        try:
            uploads.publish(directory, name)
        except OSError:
            # The row is committed; the sweep publishes the temporary file later.
            log.exception("Could not publish stored file %s", name)
    for directory, name in session.info.pop(_UNUSED, []):
        for path in (uploads.stored_path(directory, name), uploads.temp_path(directory, name)):
            path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint; the outer transaction decides
    # After a commit both lists are already empty; anything left belongs to a transaction that did not commit.
    for directory, name in session.info.pop(_STAGED, []):
        uploads.temp_path(directory, name).unlink(missing_ok=True)
    session.info.pop(_UNUSED, None)


def used_bytes(educator_id: int) -> int:
    """The bytes an educator's files take: each stored file once, however many versions carry it."""
    files = (
        select(Artifact.stored_name, Artifact.size)
        .join(Version, Version.id == Artifact.version_id)
        .join(Submission, Submission.id == Version.submission_id)
        .where(Submission.educator_id == educator_id)
        .distinct()
        .subquery()
    )
    return int(db.session.scalar(select(func.coalesce(func.sum(files.c.size), 0))) or 0)


# ---------- the sweep ----------

@dataclass
class SweepReport:
    expired: int = 0  # artifacts of withdrawn versions past the retention period
    copied: int = 0  # reviewers' copies made for files uploaded before copies were made at upload
    published: int = 0  # temporary files whose row was committed, given their name
    removed: int = 0  # files without a row, and stale temporary files

    def __str__(self) -> str:
        return (f"expired {self.expired} file(s) of withdrawn versions, made {self.copied} reviewers' copies, "
                f"published {self.published}, removed {self.removed} orphan file(s)")


def sweep(*, directory: Path, retention_days: int, now=None) -> SweepReport:
    """Expire the files of old withdrawn versions, make the reviewers' copies that are missing, commit, then tidy
    the folder."""
    report = SweepReport(expired=expire_withdrawn(retention_days=retention_days, now=now))
    report.copied = make_missing_blind_copies(directory)
    db.session.commit()
    _tidy(directory, report)
    return report


def make_missing_blind_copies(directory: Path) -> int:
    """Files uploaded before reviewers' copies were made at upload get theirs now (until then each download makes
    one). Versions that carry the same file share its copy. A file that cannot be read is left as it is."""
    names = db.session.scalars(select(Artifact.stored_name).where(Artifact.blind_name.is_(None)).distinct()).all()
    made = 0
    for stored_name in names:
        source = uploads.stored_path(directory, stored_name)
        kind = db.session.scalar(select(Artifact.kind).where(Artifact.stored_name == stored_name).limit(1))
        if not source.is_file():
            continue
        try:
            copy = blind.strip_metadata(kind, source.read_bytes())
        except blind.CannotStrip:
            log.warning("No reviewers' copy of stored file %s: it cannot be read", stored_name)
            continue
        blind_name = uploads.stage_file(copy, directory)
        publish_on_commit(directory, blind_name)
        db.session.execute(
            update(Artifact).where(Artifact.stored_name == stored_name, Artifact.blind_name.is_(None))
            .values(blind_name=blind_name).execution_options(synchronize_session=False)
        )
        made += 1
    return made


def expire_withdrawn(*, retention_days: int, now=None) -> int:
    """Remove the artifacts of versions withdrawn more than retention_days ago. Nobody reaches them any more:
    no reviewer holds a withdrawn version, and a new start copies the text, not the files. A stored file that an
    earlier version still carries stays (it is removed with that version's files, if ever)."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    expired = list(db.session.scalars(
        select(Artifact).join(Version, Version.id == Artifact.version_id)
        .where(Version.state == State.WITHDRAWN, Version.withdrawn_at < cutoff)
    ))
    for artifact in expired:
        audit.record("artifact.expire", actor=None, subject=artifact.version.submission, artifact=artifact.id)
    if expired:
        db.session.execute(delete(Artifact).where(Artifact.id.in_([a.id for a in expired])))
    return len(expired)


def _tidy(directory: Path, report: SweepReport) -> None:
    if not directory.is_dir():
        return
    # Listed before the rows are read: a file is published only after its row is committed, so every published
    # file in this listing already has its row visible to the query below.
    entries = list(directory.iterdir())
    referenced = _referenced_names()
    cutoff = time.time() - TEMP_MAX_AGE_SECONDS
    for path in entries:
        name = path.name
        if name.endswith(uploads.TEMP_SUFFIX) and uploads.is_stored_name(name[: -len(uploads.TEMP_SUFFIX)]):
            base = name[: -len(uploads.TEMP_SUFFIX)]
            if base in referenced:
                uploads.publish(directory, base)
                report.published += 1
            elif _modified_before(path, cutoff):
                path.unlink(missing_ok=True)
                report.removed += 1
        elif uploads.is_stored_name(name) and name not in referenced:
            path.unlink(missing_ok=True)
            report.removed += 1


def _referenced_names() -> set[str]:
    query = union(select(Artifact.stored_name), select(Artifact.blind_name).where(Artifact.blind_name.is_not(None)))
    return set(db.session.scalars(query))


def _modified_before(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False
