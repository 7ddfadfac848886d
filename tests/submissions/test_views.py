"""The draft and submission pages, driven through HTTP as a browser without JavaScript would."""

import io
import re
import zipfile

from sqlalchemy import select

from portal.audit import AuditEvent
from portal.extensions import db
from portal.submissions.models import Artifact, State, Submission
from tests.conftest import TINY_PDF, complete_answers


def form_fields(submission, answers, revision, **extra):
    """The form a browser would post for these answers."""
    data = {"revision": str(revision), **extra}
    for key, answer in answers.items():
        if "text" in answer:
            data[f"{key}-text"] = answer["text"]
        for i, goal in enumerate(answer.get("goals", [])):
            for field, value in goal.items():
                data[f"{key}-goals-{i}-{field}"] = value
    return data




def post_save(client, submission, data, **kwargs):
    return client.post(f"/submissions/{submission.id}/save", data=data, **kwargs)


def test_draft_page_shows_every_part_with_limits_and_counter(client, plan_draft):
    page = client.get(f"/submissions/{plan_draft.id}").get_data(as_text=True)
    assert "Part 1. Overview Questions" in page and "Part 3. Reflection" in page
    assert page.count('data-word-limit="200"') == 2
    assert "0 / 200 words" in page
    assert page.count('<fieldset class="goal"') == 3  # the plan opens with its three goal blocks
    assert 'id="plan-goals-2-measurable_outcomes"' in page


def test_save_keeps_text_over_the_limit_and_warns(client, plan_draft):
    long_text = " ".join(["equity"] * 214)
    response = post_save(client, plan_draft, {"revision": "1", "overview-text": long_text, "action": "save"})
    assert response.status_code == 302
    page = client.get(f"/submissions/{plan_draft.id}").get_data(as_text=True)
    assert long_text in page
    assert "Part 1 has 214 words; the limit is 200." in page
    assert "214 / 200 words — 14 over the limit" in page


def test_add_and_remove_goal_without_javascript(client, plan_draft):
    answers = complete_answers(plan_draft.credential)
    data = form_fields(plan_draft, answers, 1, action="add-goal:plan")
    response = post_save(client, plan_draft, data)
    assert response.headers["Location"].endswith("#plan-goal-3")
    page = client.get(f"/submissions/{plan_draft.id}").get_data(as_text=True)
    assert page.count('<fieldset class="goal"') == 4

    answers["plan"]["goals"][0]["statement"] = "The first goal"
    answers["plan"]["goals"][1]["statement"] = "The second goal"
    data = form_fields(plan_draft, answers, 2, action="remove-goal:plan:0")
    asked = post_save(client, plan_draft, data)  # a goal with text in it: saved, then asked
    assert asked.headers["Location"].endswith(f"/submissions/{plan_draft.id}/goals/plan/1/remove")
    db.session.expire_all()
    assert len(plan_draft.current_version.answers["plan"]["goals"]) == 3  # saved as typed, nothing removed yet
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Remove goal 1?" in page and "The first goal" in page and 'name="csrf_token"' in page
    revision = plan_draft.current_version.revision
    done = client.post(asked.headers["Location"], data={"revision": str(revision)})
    assert done.headers["Location"].endswith("#plan-goals")
    db.session.expire_all()
    goals = plan_draft.current_version.answers["plan"]["goals"]
    assert [g["statement"] for g in goals] == ["The second goal", "Close the homework gap"]


def test_submit_lists_every_problem_linked_to_its_field(client, plan_draft):
    answers = complete_answers(plan_draft.credential)
    answers["overview"]["text"] = " ".join(["word"] * 214)
    answers["plan"]["goals"] = answers["plan"]["goals"][:2]
    answers["plan"]["goals"][1]["partners"] = "  "
    answers["reflection"]["text"] = ""
    response = post_save(client, plan_draft, form_fields(plan_draft, answers, 1, action="submit"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    expected = [
        ("overview-text", "Part 1 has 214 words; the limit is 200."),
        ("plan-add-goal", "The plan needs at least 3 goals; it has 2."),
        ("plan-goals-1-partners", "Goal 2: Partners is required."),
        ("reflection-text", "Part 3 (Reflection) is empty."),
    ]
    for field_id, message in expected:
        assert f'<a href="#{field_id}">{message}</a>' in page
        assert f'id="{field_id}"' in page
    assert " ".join(["word"] * 214) in page  # nothing typed is lost
    db.session.expire_all()
    assert plan_draft.current_version.state == State.DRAFT


def test_submit_complete_draft_freezes_it(client, plan_draft):
    answers = complete_answers(plan_draft.credential)
    response = post_save(client, plan_draft, form_fields(plan_draft, answers, 1, action="submit"))
    assert response.status_code == 302
    db.session.expire_all()
    version = plan_draft.current_version
    assert version.state == State.SUBMITTED and version.submitted_at is not None
    changed = form_fields(plan_draft, {"overview": {"text": "changed later"}}, version.revision, action="save")
    post_save(client, plan_draft, changed)
    db.session.expire_all()
    assert plan_draft.current_version.answers["overview"]["text"] != "changed later"
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "submission.submitted" in actions


def test_two_tabs_older_save_does_not_overwrite_newer_text(client, plan_draft):
    tab_a = {"revision": "1", "overview-text": "Tab A text", "action": "save"}
    tab_b = {"revision": "1", "overview-text": "Tab B text, typed in the older tab", "action": "save"}
    assert post_save(client, plan_draft, tab_a).status_code == 302
    response = post_save(client, plan_draft, tab_b)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "saved from another tab or window" in page
    assert "Tab B text, typed in the older tab</textarea>" in page  # the older tab keeps its own text
    assert "Tab A text" in page  # and sees what was saved
    assert 'name="revision" value="2"' in page  # saving again now is a deliberate choice
    db.session.expire_all()
    assert plan_draft.current_version.answers["overview"]["text"] == "Tab A text"

    tab_b["revision"] = "2"
    assert post_save(client, plan_draft, tab_b).status_code == 302
    db.session.expire_all()
    assert plan_draft.current_version.answers["overview"]["text"] == "Tab B text, typed in the older tab"


def test_autosave_answers_json_and_reports_conflicts(client, plan_draft):
    headers = {"Accept": "application/json"}
    ok = post_save(client, plan_draft, {"revision": "1", "overview-text": "one two three"}, headers=headers)
    assert ok.status_code == 200
    assert ok.json["revision"] == 2 and ok.json["words"]["overview"] == 3
    stale = post_save(client, plan_draft, {"revision": "1", "overview-text": "older"}, headers=headers)
    assert stale.status_code == 409 and stale.json["conflict"] is True


def files_of(submission) -> list[Artifact]:
    db.session.expire_all()
    return list(db.session.scalars(select(Artifact).where(Artifact.version_id == submission.current_version.id)))


def upload(client, submission, name, content, revision=1):
    data = {"revision": str(revision), "action": "save", "plan-files": (io.BytesIO(content), name)}
    return post_save(client, submission, data, content_type="multipart/form-data")


def test_upload_pdf_is_attached_and_downloadable_by_its_author(client, plan_draft):
    assert upload(client, plan_draft, "../../district plan.pdf", TINY_PDF).status_code == 302
    [artifact] = files_of(plan_draft)
    assert artifact.original_name == "district plan.pdf"
    assert ".." not in artifact.stored_name and "plan" not in artifact.stored_name
    response = client.get(f"/submissions/{plan_draft.id}/files/{artifact.id}")
    assert response.data == TINY_PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_upload_that_is_not_a_pdf_is_refused_next_to_the_field(client, plan_draft):
    response = upload(client, plan_draft, "plan.pdf", b"just some text pretending")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="plan-files-error"' in page
    assert "“plan.pdf” is not a PDF, DOCX, PPTX, XLSX, PNG or JPEG file." in page
    assert files_of(plan_draft) == []


def test_upload_oversize_file_is_refused(app, client, plan_draft):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    response = upload(client, plan_draft, "big.pdf", TINY_PDF + b"0" * (2048 - len(TINY_PDF)))
    assert "“big.pdf” is 2 KB; the limit is 1 KB." in response.get_data(as_text=True)


def test_upload_sixth_file_is_refused(client, plan_draft):
    revision = 1
    for n in range(5):
        assert upload(client, plan_draft, f"file{n}.pdf", TINY_PDF, revision).status_code == 302
        revision += 1
    page = upload(client, plan_draft, "sixth.pdf", TINY_PDF, revision).get_data(as_text=True)
    assert "“sixth.pdf” was not added: a submission can have at most 5 files." in page
    assert len(files_of(plan_draft)) == 5


def test_upload_office_file_checked_by_content(client, plan_draft):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    assert upload(client, plan_draft, "plan.docx", buffer.getvalue()).status_code == 302
    assert [a.kind for a in files_of(plan_draft)] == ["docx"]


def test_remove_file_keeps_typed_text(client, plan_draft):
    upload(client, plan_draft, "plan.pdf", TINY_PDF)
    [artifact] = files_of(plan_draft)
    revision = str(plan_draft.current_version.revision)
    data = {"revision": revision, "overview-text": "typed before removing", "action": f"remove-file:{artifact.id}"}
    post_save(client, plan_draft, data)
    assert files_of(plan_draft) == []
    assert plan_draft.current_version.answers["overview"]["text"] == "typed before removing"


def test_other_educator_gets_404_for_submission_and_files(app, client, plan_draft, make_user, login_as):
    upload(client, plan_draft, "plan.pdf", TINY_PDF)
    [artifact] = files_of(plan_draft)
    intruder = app.test_client()
    login_as_other = make_user(name="Other Educator")
    from portal.accounts import services as accounts

    token = accounts.start_session(login_as_other)
    db.session.commit()
    with intruder.session_transaction() as session:
        session["_user_id"] = token
    urls = [
        f"/submissions/{plan_draft.id}",
        f"/submissions/{plan_draft.id}/versions/1",
        f"/submissions/{plan_draft.id}/files/{artifact.id}",
    ]
    for url in urls:
        response = intruder.get(url)
        assert response.status_code == 404, url
        assert "Dana Whitfield" not in response.get_data(as_text=True)
    assert intruder.post(f"/submissions/{plan_draft.id}/save", data={"revision": "9"}).status_code == 404
    assert intruder.post(f"/submissions/{plan_draft.id}/withdraw").status_code == 404


def test_file_of_another_submission_is_404_through_my_own_url(client, educator, plan_draft, make_submission):
    other = make_submission(slug="foundations", state=State.SUBMITTED)  # another educator's, with a file
    foreign = db.session.scalar(select(Artifact).where(Artifact.version_id == other.current_version.id))
    assert client.get(f"/submissions/{plan_draft.id}/files/{foreign.id}").status_code == 404


def test_anonymous_is_sent_to_sign_in(app, plan_draft):
    response = app.test_client().get(f"/submissions/{plan_draft.id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in?next=")


def test_withdraw_submitted_version_and_read_earlier_versions(client, educator, make_submission):
    submission = make_submission(educator=educator, slug="foundations", state=State.SUBMITTED)
    response = client.post(f"/submissions/{submission.id}/withdraw")
    assert response.status_code == 302
    db.session.expire_all()
    assert submission.current_version.state == State.WITHDRAWN
    page = client.get(f"/submissions/{submission.id}/versions/1").get_data(as_text=True)
    assert "Withdrawn" in page and "Broadband access and device loans matter" in page


def test_revised_version_keeps_the_old_one_readable(client, educator, make_submission, make_user):
    from portal.submissions import services

    submission = make_submission(educator=educator, slug="foundations", state=State.NOT_YET)
    services.transition(submission, State.DRAFT, actor=educator)
    db.session.commit()
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "Version 2" in page and "Version 1</a> — Not yet" in page
    assert client.get(f"/submissions/{submission.id}/versions/1").status_code == 200


def test_dashboard_lists_every_started_credential_with_its_state(client, educator, make_submission):
    make_submission(educator=educator, slug="foundations", state=State.EARNED)
    make_submission(educator=educator, slug="district-plan", state=State.SUBMITTED)
    page = client.get("/my").get_data(as_text=True)
    rows = re.findall(r'<a href="/submissions/\d+">([^<]+)</a></th>\s*<td><span class="state state-(\w+)">', page)
    assert sorted(rows) == [
        ("Creating a District Plan for Digital Equity", "submitted"),
        ("Foundations of Digital Equity: Understanding the Homework Gap", "earned"),
    ]


def test_dashboard_query_count_does_not_grow_with_submissions(client, educator, make_submission, count_queries):
    make_submission(educator=educator, slug="foundations", state=State.EARNED)
    client.get("/my")
    with count_queries() as one:
        client.get("/my")
    for _ in range(29):
        make_submission(educator=educator, slug="identifying-challenges", state=State.WITHDRAWN)
    assert db.session.query(Submission).filter_by(educator_id=educator.id).count() == 30
    with count_queries() as thirty:
        page = client.get("/my").get_data(as_text=True)
    assert page.count("Withdrawn") == 29
    assert thirty[0] == one[0]


def test_preview_renders_sanitized_markdown(client, educator):
    response = client.post("/preview", json={"text": "**bold** <script>alert(1)</script>"})
    assert response.json["html"] == "<p><strong>bold</strong> alert(1)</p>"
    assert response.json["words"] == 2


def test_empty_goal_is_removed_without_asking(client, plan_draft):
    answers = complete_answers(plan_draft.credential)
    answers["plan"]["goals"].append({key: "" for key in answers["plan"]["goals"][0]})
    response = post_save(client, plan_draft, form_fields(plan_draft, answers, 1, action="remove-goal:plan:3"))
    assert response.headers["Location"].endswith("#plan-goals")
    db.session.expire_all()
    assert len(plan_draft.current_version.answers["plan"]["goals"]) == 3


def test_goal_removal_confirmed_after_another_save_removes_nothing(client, plan_draft):
    answers = complete_answers(plan_draft.credential)
    asked = post_save(client, plan_draft, form_fields(plan_draft, answers, 1, action="remove-goal:plan:1"))
    db.session.expire_all()
    stale = plan_draft.current_version.revision
    post_save(client, plan_draft, form_fields(plan_draft, answers, stale, action="save"))  # another tab saves
    response = client.post(asked.headers["Location"], data={"revision": str(stale)}, follow_redirects=True)
    assert "nothing was removed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(plan_draft.current_version.answers["plan"]["goals"]) == 3


def test_plan_field_labels_name_their_goal(client, plan_draft):
    page = client.get(f"/submissions/{plan_draft.id}").get_data(as_text=True)
    hidden = '<span class="visually-hidden">, goal {}</span></label>'
    assert '<label for="plan-goals-0-action_steps">Action Steps' + hidden.format(1) in page
    assert '<label for="plan-goals-2-partners">Partners' + hidden.format(3) in page
