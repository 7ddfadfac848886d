"""Scoring: Yes / Not yet per part, confirming once, the decision, and what each side may see."""

import io

import pytest
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.extensions import db
from portal.notifications.models import Notice
from portal.reviews import services as reviews
from portal.reviews.models import Assignment
from portal.submissions import services as submissions
from portal.submissions.models import Artifact, State
from tests.conftest import TINY_PDF, fill_and_submit
from tests.reviews.conftest import all_yes


def assignment_of(version, reviewer):
    return db.session.scalar(
        select(Assignment).where(Assignment.version_id == version.id, Assignment.reviewer_id == reviewer.id)
    )


def test_outcome_is_earned_only_when_every_part_is_yes():
    assert reviews.outcome({"a": "yes", "b": "yes"}) == State.EARNED
    assert reviews.outcome({"a": "yes", "b": "not_yet"}) == State.NOT_YET
    assert reviews.outcome({"a": "yes", "b": None}) == State.NOT_YET
    assert reviews.outcome({}) == State.NOT_YET


def test_confirm_requires_a_result_per_part_and_feedback_for_not_yet(make_reviewer, submit_plan):
    reviewer = make_reviewer()
    version = submit_plan().current_version
    entries = {"overview": ("yes", ""), "plan": ("not_yet", "  ")}
    with pytest.raises(reviews.ResultsIncomplete) as raised:
        reviews.confirm_review(reviewer=reviewer, assignment=assignment_of(version, reviewer), entries=entries)
    assert [p.message for p in raised.value.problems] == [
        "Part 2: explain what is missing, so the educator can act on it.",
        "Part 3: choose Yes or Not yet.",
    ]


def test_save_then_come_back_starts_review_and_blocks_withdrawal(make_reviewer, submit_plan):
    reviewer = make_reviewer()
    submission = submit_plan()
    version = submission.current_version
    reviews.save_review(
        reviewer=reviewer, assignment=assignment_of(version, reviewer), entries={"overview": ("yes", "Clear.")}
    )
    db.session.commit()
    assert version.state == State.IN_REVIEW
    review = assignment_of(version, reviewer).review
    assert review.result_for("overview").feedback == "Clear." and not review.is_confirmed


def test_all_yes_earns_and_educator_is_notified(make_reviewer, submit_plan):
    reviewer = make_reviewer()
    submission = submit_plan()
    version = submission.current_version
    reviews.confirm_review(reviewer=reviewer, assignment=assignment_of(version, reviewer), entries=all_yes(version))
    db.session.commit()
    assert version.state == State.EARNED and version.decided_at is not None
    texts = db.session.scalars(select(Notice.text).where(Notice.user_id == submission.educator_id)).all()
    assert "“Creating a District Plan for Digital Equity” was earned." in texts


def test_reviewer_cannot_score_after_confirming(make_reviewer, submit_plan):
    reviewer = make_reviewer()
    version = submit_plan().current_version
    assignment = assignment_of(version, reviewer)
    reviews.confirm_review(reviewer=reviewer, assignment=assignment, entries=all_yes(version))
    db.session.commit()
    with pytest.raises(reviews.ReviewError):
        reviews.save_review(reviewer=reviewer, assignment=assignment, entries=all_yes(version))


def test_double_scored_agreeing_reviews_decide(app, make_reviewer, submit_plan):
    app.config["CALIBRATION_SHARE"] = 1.0
    first, second = make_reviewer(), make_reviewer()
    version = submit_plan().current_version
    reviews.confirm_review(reviewer=first, assignment=assignment_of(version, first), entries=all_yes(version))
    db.session.commit()
    assert version.state == State.IN_REVIEW  # waits for the second, independent review
    reviews.confirm_review(reviewer=second, assignment=assignment_of(version, second), entries=all_yes(version))
    db.session.commit()
    assert version.state == State.EARNED


def test_double_scored_disagreement_goes_to_staff_adjudication(app, make_reviewer, submit_plan, make_user):
    app.config["CALIBRATION_SHARE"] = 1.0
    first, second = make_reviewer(), make_reviewer()
    staff = make_user(roles=("staff",))
    version = submit_plan().current_version
    harsh = all_yes(version)
    harsh["reflection"] = ("not_yet", "Say how the plan changed your view.")
    reviews.confirm_review(reviewer=first, assignment=assignment_of(version, first), entries=all_yes(version))
    reviews.confirm_review(reviewer=second, assignment=assignment_of(version, second), entries=harsh)
    db.session.commit()
    assert version.state == State.IN_REVIEW and reviews.needs_adjudication(version)
    reviews.adjudicate(staff=staff, version=version, entries=harsh)
    db.session.commit()
    assert version.state == State.NOT_YET
    assert reviews.deciding_review(version).is_adjudication
    with pytest.raises(reviews.ReviewError):
        reviews.adjudicate(staff=staff, version=version, entries=all_yes(version))


def test_blind_review_pages_and_downloads_hide_the_educator(
    client, make_user, make_reviewer, login_as, make_submission
):
    educator = make_user(name="Zelda Quixote", email="zelda.quixote@example.org", organization="Unmistakable Unified")
    reviewer = make_reviewer()
    submission = make_submission(educator=educator, slug="district-plan", state=State.DRAFT)
    submissions.add_artifact(
        educator=educator,
        submission=submission,
        part_key="plan",
        stream=io.BytesIO(TINY_PDF),
        filename="Zelda-Quixote-plan.pdf",
        config=client.application.config,
    )
    fill_and_submit(submission, educator)
    reviews.route_submitted(submission.current_version, actor=educator)
    db.session.commit()
    assignment = assignment_of(submission.current_version, reviewer)
    artifact = db.session.scalar(select(Artifact).where(Artifact.version_id == submission.current_version.id))
    login_as(reviewer)
    secrets = ("Zelda", "Quixote", "zelda.quixote", "Unmistakable")
    for url in ("/review", f"/review/assignments/{assignment.id}", "/notices"):
        page = client.get(url).get_data(as_text=True)
        assert "Creating a District Plan" in page, url
        for secret in secrets:
            assert secret not in page, (url, secret)
    response = client.get(f"/review/assignments/{assignment.id}/files/{artifact.id}")
    # The reviewers' copy, without metadata (tests/submissions/test_blind_files.py checks what it removes).
    assert response.data.startswith(b"%PDF-") and response.data != TINY_PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename=artifact-{artifact.id}.pdf"
    for secret in secrets:
        assert all(secret not in value for value in response.headers.values())


def test_unassigned_reviewer_gets_404_for_assignment_and_files(client, make_reviewer, submit_plan, login_as):
    assigned, other = make_reviewer(), make_reviewer()
    version = submit_plan().current_version
    assignment = assignment_of(version, assigned)
    login_as(other)
    assert client.get(f"/review/assignments/{assignment.id}").status_code == 404
    assert client.post(f"/review/assignments/{assignment.id}", data={"action": "save"}).status_code == 404
    assert client.get(f"/review/assignments/{assignment.id}/files/1").status_code == 404
    assert client.get(f"/submissions/{version.submission_id}").status_code == 404


def test_educator_cannot_reach_reviewer_or_staff_pages(client, make_user, login_as):
    login_as(make_user())
    for url in ("/review", "/staff/people", "/staff/submissions", "/staff/reviewers"):
        assert client.get(url).status_code == 403, url


def test_scoring_page_posts_results_and_educator_reads_them(app, client, make_reviewer, submit_plan, login_as):
    reviewer = make_reviewer()
    submission = submit_plan()
    version = submission.current_version
    assignment = assignment_of(version, reviewer)
    login_as(reviewer)
    form = {
        "action": "confirm",
        "overview-result": "yes",
        "overview-feedback": "",
        "plan-result": "not_yet",
        "plan-feedback": "",
        "reflection-result": "yes",
    }
    page = client.post(f"/review/assignments/{assignment.id}", data=form)
    assert page.status_code == 422
    assert "Part 2: explain what is missing" in page.get_data(as_text=True)

    form["plan-feedback"] = "Goal 3 needs **measurable** outcomes."
    form["action"] = "preview"
    preview = client.post(f"/review/assignments/{assignment.id}", data=form).get_data(as_text=True)
    assert "Resulting decision: Not yet" in preview
    form["action"] = "confirm"
    assert client.post(f"/review/assignments/{assignment.id}", data=form).status_code == 302
    again = client.post(f"/review/assignments/{assignment.id}", data=form)
    assert again.status_code == 302  # a second confirm (another tab) changes nothing
    db.session.expire_all()
    assert version.state == State.NOT_YET

    educator_client = app.test_client()
    token = accounts.start_session(submission.educator)
    db.session.commit()
    with educator_client.session_transaction() as session:
        session["_user_id"] = token
    page = educator_client.get(f"/submissions/{submission.id}/versions/{version.number}").get_data(as_text=True)
    assert "Goal 3 needs <strong>measurable</strong> outcomes." in page
    assert "Reviewer's result" in page and reviewer.name not in page


def test_decision_releases_reviews_still_open_on_the_version(make_reviewer, submit_plan, make_user):
    first, extra = make_reviewer(), make_reviewer()
    staff = make_user(roles=("staff",))
    version = submit_plan().current_version
    second = reviews.assign_by_hand(staff=staff, version=version, reviewer_id=extra.id)
    reviews.confirm_review(reviewer=first, assignment=assignment_of(version, first), entries=all_yes(version))
    db.session.commit()
    assert version.state == State.EARNED
    assert second.state == "released"


def test_staff_who_reviewed_cannot_adjudicate(app, make_reviewer, submit_plan, make_user):
    app.config["CALIBRATION_SHARE"] = 1.0
    staff_reviewer = make_reviewer(name="Staff Reviewer")
    staff_reviewer.is_staff = True
    other = make_reviewer()
    version = submit_plan().current_version
    harsh = {**all_yes(version), "plan": ("not_yet", "Add partners.")}
    reviews.confirm_review(
        reviewer=staff_reviewer, assignment=assignment_of(version, staff_reviewer), entries=all_yes(version)
    )
    reviews.confirm_review(reviewer=other, assignment=assignment_of(version, other), entries=harsh)
    db.session.commit()
    with pytest.raises(reviews.ReviewError, match="another staff member must adjudicate"):
        reviews.adjudicate(staff=staff_reviewer, version=version, entries=harsh)


def test_decline_page_passes_the_review_on(client, make_reviewer, submit_plan, login_as):
    first, second = make_reviewer(), make_reviewer()
    version = submit_plan().current_version
    assignment = assignment_of(version, first)
    login_as(first)
    data = {"reason": "conflict", "note": "My niece."}
    asked = client.post(f"/review/assignments/{assignment.id}/decline", data=data)
    assert asked.status_code == 200 and "Decline this review?" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert assignment.state == "open"  # asking changes nothing
    response = client.post(f"/review/assignments/{assignment.id}/decline", data={**data, "confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert assignment.state == "declined"
    assert assignment.decline_reason == "I have a conflict of interest. My niece."
    assert assignment_of(version, second).state == "open"


def test_reviewer_pauses_and_resumes_from_the_queue(client, make_reviewer, submit_plan, login_as):
    reviewer = make_reviewer()
    login_as(reviewer)
    client.post("/review/availability?pause=1")
    page = client.get("/review").get_data(as_text=True)
    assert "You are paused" in page
    waiting = submit_plan()
    assert assignment_of(waiting.current_version, reviewer) is None
    client.post("/review/availability?pause=0")
    db.session.expire_all()
    assert assignment_of(waiting.current_version, reviewer).state == "open"


def test_queue_names_released_work_and_why(client, make_reviewer, submit_plan):
    rita = make_reviewer(name="Rita Reviewer")
    submission = submit_plan()
    version = submission.current_version
    submissions.withdraw(educator=submission.educator, submission=submission)
    reviews.release_for_withdrawal(version, actor=submission.educator)
    db.session.commit()
    token = accounts.start_session(rita)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token

    page = client.get("/review").get_data(as_text=True)

    assert f"Submission {submission.id}, version 1</a> — " in page
    assert "released: the educator withdrew it" in page
