"""A reviewer of version 2 sees per part what version 1 got and what changed since."""

import io

from flask import current_app

from portal.extensions import db
from portal.reviews import changes
from portal.reviews import services as reviews
from portal.reviews.changes import earlier_round
from portal.submissions import services as submissions
from portal.submissions.models import State
from tests.conftest import TINY_PDF
from tests.reviews.test_scoring import assignment_of


def _not_yet_then_revised(make_reviewer, submit_plan):
    reviewer = make_reviewer()
    submission = submit_plan()
    first = submission.current_version
    feedback = "Goal 2 needs a number & a date."
    entries = {"overview": ("yes", ""), "plan": ("not_yet", feedback), "reflection": ("yes", "")}
    reviews.confirm_review(reviewer=reviewer, assignment=assignment_of(first, reviewer), entries=entries)
    db.session.commit()
    educator = submission.educator
    second = submissions.transition(submission, State.DRAFT, actor=educator)
    answers = {key: dict(value) for key, value in second.answers.items()}
    goals = [dict(goal) for goal in answers["plan"]["goals"]]
    goals[1]["measurable_outcomes"] = "Checkouts rise from 40 to 120 a month."
    answers["plan"] = {"goals": goals}
    submissions.save_draft(educator=educator, submission=submission, answers=answers, base_revision=second.revision)
    submissions.add_artifact(
        educator=educator, submission=submission, part_key="plan", stream=io.BytesIO(TINY_PDF + b"v2"),
        filename="survey.pdf", config=current_app.config,
    )
    submissions.submit(educator=educator, submission=submission)
    reviews.route_submitted(second, actor=educator)
    db.session.commit()
    return reviewer, submission, second


def test_earlier_round_has_results_and_word_changes_per_part(make_reviewer, submit_plan):
    _reviewer, _submission, second = _not_yet_then_revised(make_reviewer, submit_plan)
    earlier = earlier_round(second)
    assert earlier.version.number == 1
    assert earlier.result_for("plan").result == "not_yet"
    assert earlier.result_for("plan").feedback == "Goal 2 needs a number & a date."
    plan = earlier.changes["plan"]
    assert [change.label for change in plan.texts] == ["Goal 2, Measurable Outcomes"]
    diff = str(plan.texts[0].diff)
    assert '<ins><span class="visually-hidden">added: </span>Checkouts rise from 40 to 120 a month.</ins>' in diff
    assert "<del>" in diff
    assert plan.files_added == ["survey.pdf"] and plan.files_removed == []
    assert earlier.changes["overview"].is_unchanged


def test_changes_between_two_frozen_versions_are_worked_out_once(make_reviewer, submit_plan, monkeypatch):
    _reviewer, _submission, second = _not_yet_then_revised(make_reviewer, submit_plan)
    calls = []
    real = changes.part_changes
    monkeypatch.setattr(changes, "part_changes", lambda *args: calls.append(args) or real(*args))
    first_look, second_look = earlier_round(second), earlier_round(second)
    assert len(calls) == len(second.requirements.parts)
    assert second_look.changes == first_look.changes
    assert second_look.changes["plan"].files_added == ["survey.pdf"]


def test_first_version_has_no_earlier_round(make_reviewer, submit_plan):
    make_reviewer()
    assert earlier_round(submit_plan().current_version) is None


def test_scoring_page_of_version_2_shows_earlier_feedback_and_changes(client, login_as, make_reviewer, submit_plan):
    reviewer, _submission, second = _not_yet_then_revised(make_reviewer, submit_plan)
    login_as(reviewer)
    html = client.get(f"/review/assignments/{assignment_of(second, reviewer).id}").get_data(as_text=True)
    assert 'id="plan-earlier"' in html
    assert "Goal 2 needs a number &amp; a date." in html
    assert "Changes since version 1" in html
    assert '<span class="visually-hidden">added: </span>Checkouts rise' in html
    assert "Changes since version 1: none" in html  # the parts left as they were say so


def test_adjudication_of_version_2_shows_the_earlier_round_too(app, client, login_as, make_user, make_reviewer,
                                                              submit_plan):
    reviewer, _submission, second = _not_yet_then_revised(make_reviewer, submit_plan)
    app.config["CALIBRATION_SHARE"] = 1.0  # version 2 needs two reviews from here on
    other = make_reviewer()
    reviews.assign_by_hand(staff=make_user(roles=("staff",)), version=second, reviewer_id=other.id)
    db.session.commit()
    harsh = {"overview": ("yes", ""), "plan": ("yes", ""), "reflection": ("not_yet", "More, please.")}
    kind = {"overview": ("yes", ""), "plan": ("yes", ""), "reflection": ("yes", "")}
    for person, entries in ((reviewer, harsh), (other, kind)):
        reviews.confirm_review(reviewer=person, assignment=assignment_of(second, person), entries=entries)
    db.session.commit()
    assert reviews.needs_adjudication(second)
    login_as(make_user(roles=("staff",)))
    html = client.get(f"/staff/adjudicate/{second.id}").get_data(as_text=True)
    assert 'id="reflection-earlier"' in html and "Changes since version 1" in html
