"""Withdrawing and starting again, or revising after Not yet: every answer and every file is carried over,
and the page says what was carried."""

import html
import io

from portal.extensions import db
from portal.submissions import services
from portal.submissions.models import State
from tests.conftest import TINY_PDF, fill_and_submit
from tests.submissions.test_views import files_of, form_fields, upload


def _draft_with_two_files(client, plan_draft):
    for name, content in (("survey.pdf", TINY_PDF), ("budget.pdf", TINY_PDF + b"2")):
        db.session.expire_all()
        revision = plan_draft.current_version.revision
        assert upload(client, plan_draft, name, content, revision=revision).status_code == 302
    db.session.expire_all()
    data = form_fields(plan_draft, {"overview": {"text": "Broadband first."}}, plan_draft.current_version.revision,
                       action="save")
    assert client.post(f"/submissions/{plan_draft.id}/save", data=data).status_code == 302
    assert sorted(a.original_name for a in files_of(plan_draft)) == ["budget.pdf", "survey.pdf"]


def test_withdraw_and_restart_carries_both_files_and_says_so(client, plan_draft):
    _draft_with_two_files(client, plan_draft)
    assert client.post(f"/submissions/{plan_draft.id}/withdraw").status_code == 302
    started = client.post("/stacks/digital-equity/district-plan/start")
    assert started.status_code == 302
    new_id = int(started.headers["Location"].rsplit("/", 1)[1])
    assert new_id != plan_draft.id
    page = html.unescape(client.get(f"/submissions/{new_id}").get_data(as_text=True))
    assert ("Carried over from your withdrawn submission: your 1 answer (Overview Questions) and "
            "2 attached files (“survey.pdf”, “budget.pdf”).") in page
    fresh = db.session.get(type(plan_draft), new_id)
    carried = files_of(fresh)
    assert sorted(a.original_name for a in carried) == ["budget.pdf", "survey.pdf"]
    old = {a.original_name: a.stored_name for a in files_of(plan_draft)}
    assert {a.original_name: a.stored_name for a in carried} == old  # the same stored files, new rows
    assert fresh.current_version.answers["overview"] == {"text": "Broadband first."}
    # Both files open from the new draft.
    for artifact in carried:
        assert client.get(f"/submissions/{new_id}/files/{artifact.id}").status_code == 200


def test_removing_a_carried_file_keeps_the_withdrawn_copy(app, client, plan_draft):
    _draft_with_two_files(client, plan_draft)
    client.post(f"/submissions/{plan_draft.id}/withdraw")
    db.session.expire_all()
    fresh, _ = services.start_or_restart(educator=plan_draft.educator, credential=plan_draft.credential)
    db.session.commit()
    survey = next(a for a in fresh.current_version.artifacts if a.original_name == "survey.pdf")
    services.remove_artifact(educator=plan_draft.educator, submission=fresh, artifact=survey,
                             upload_folder=app.config["UPLOAD_FOLDER"])
    db.session.commit()
    old = next(a for a in files_of(plan_draft) if a.original_name == "survey.pdf")
    assert client.get(f"/submissions/{plan_draft.id}/files/{old.id}").status_code == 200


def test_revise_after_not_yet_carries_answers_and_files_and_says_so(app, client, plan_draft, make_user):
    for name in ("survey.pdf", "budget.pdf"):
        services.add_artifact(educator=plan_draft.educator, submission=plan_draft, part_key="plan",
                              stream=io.BytesIO(TINY_PDF + name.encode()), filename=name, config=app.config)
    fill_and_submit(plan_draft, plan_draft.educator)
    staff = make_user(roles=("staff",))
    for step in (State.IN_REVIEW, State.NOT_YET):
        services.transition(plan_draft, step, actor=staff)
    db.session.commit()
    response = client.post(f"/submissions/{plan_draft.id}/revise", follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert ("Carried over from version 1: your 3 answers (Overview Questions, Evidence/Artifacts, Reflection) "
            "and 2 attached files (“survey.pdf”, “budget.pdf”).") in page
    db.session.expire_all()
    assert [a.original_name for a in plan_draft.current_version.artifacts] == ["survey.pdf", "budget.pdf"]
    assert plan_draft.current_version.answers == plan_draft.versions[0].answers


def test_carry_over_names_what_the_new_requirements_cannot_take(plan_draft):
    from portal.submissions.carryover import report

    version = plan_draft.current_version
    version.answers = {**version.answers, "retired": {"text": "An answer to a part that was removed."}}
    sentence = report(version, version, source="your withdrawn submission").sentence()
    assert "Not carried over, because the requirements changed: your answer to “retired”" in sentence
    assert "You can still read them in your withdrawn submission." in sentence
    db.session.rollback()
