"""Concurrency on PostgreSQL: real threads, real transactions, row locks."""

import os
import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.reviews import services as reviews
from portal.reviews.models import Assignment, AssignmentState
from portal.submissions import services as submissions
from portal.submissions.models import State, Submission, Version
from tests.conftest import complete_answers
from tests.reviews.conftest import all_yes

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="row-lock behaviour is tested on PostgreSQL (set TEST_DATABASE_URL)",
)


def run_at_once(app, work, count):
    """Run work(index) in `count` threads released together; returns each thread's outcome."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def worker(index):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = work(index)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 -- the outcome is what the test checks
                db.session.rollback()
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_submissions_never_exceed_reviewer_capacity(app, make_user, make_reviewer, make_submission):
    reviewer = make_reviewer(capacity=1)
    drafts = []
    for _ in range(6):
        submission = make_submission(slug="district-plan", state=State.DRAFT)
        submissions.save_draft(educator=submission.educator, submission=submission,
                               answers=complete_answers(submission.credential),
                               base_revision=submission.current_version.revision)
        drafts.append((submission.id, submission.educator_id))
    db.session.commit()

    def submit(index):
        submission_id, _ = drafts[index]
        submission = db.session.get(Submission, submission_id)
        version = submissions.submit(educator=submission.educator, submission=submission)
        return reviews.route_submitted(version, actor=submission.educator)

    outcomes = run_at_once(app, submit, len(drafts))
    assert not [o for o in outcomes if isinstance(o, Exception)]
    db.session.expire_all()
    held = db.session.scalar(
        select(func.count()).select_from(Assignment)
        .where(Assignment.reviewer_id == reviewer.id, Assignment.state == AssignmentState.OPEN)
    )
    assert held == 1
    assert sum(len(o) for o in outcomes) == 1


def test_two_tabs_confirming_one_review_apply_exactly_once(app, make_reviewer, submit_plan):
    reviewer = make_reviewer()
    version = submit_plan().current_version
    assignment_id = db.session.scalar(select(Assignment.id).where(Assignment.version_id == version.id))
    version_id = version.id

    def confirm(index):
        assignment = db.session.get(Assignment, assignment_id)
        entries = all_yes(assignment.version) if index % 2 else {
            **all_yes(assignment.version), "plan": ("not_yet", "Needs partners.")}
        return reviews.confirm_review(reviewer=assignment.reviewer, assignment=assignment, entries=entries)

    outcomes = run_at_once(app, confirm, 4)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 3
    assert all(isinstance(e, (reviews.ReviewError, submissions.SubmissionError)) for e in errors), errors
    db.session.expire_all()
    decided = db.session.get(Version, version_id)
    assert decided.state in (State.EARNED, State.NOT_YET)
    assert len(reviews.confirmed_reviews(decided)) == 1
    assert reviews.confirmed_reviews(decided)[0].reviewer_id == reviewer.id


def test_two_reviewers_confirming_at_once_decide_once(app, make_reviewer, submit_plan):
    app.config["CALIBRATION_SHARE"] = 1.0
    make_reviewer(), make_reviewer()
    version = submit_plan().current_version
    version_id = version.id
    assignment_ids = db.session.scalars(select(Assignment.id).where(Assignment.version_id == version_id)).all()
    assert len(assignment_ids) == 2

    def confirm(index):
        assignment = db.session.get(Assignment, assignment_ids[index])
        return reviews.confirm_review(reviewer=assignment.reviewer, assignment=assignment,
                                      entries=all_yes(assignment.version))

    outcomes = run_at_once(app, confirm, 2)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    db.session.expire_all()
    assert db.session.get(Version, version_id).state == State.EARNED


def test_assigning_while_the_educator_withdraws_never_leaves_a_withdrawn_version_assigned(
        app, make_user, make_reviewer, make_submission):
    """Staff assign a reviewer by hand at the moment the educator withdraws: whichever comes first, a withdrawn
    version ends with no open assignment (before the version lock, 8 of 50 trials did)."""
    staff = make_user(roles=("staff",), organization="CoSN Program Office")
    reviewer = make_reviewer(capacity=100)
    staff_id, reviewer_id = staff.id, reviewer.id
    for _trial in range(40):
        submission = make_submission(slug="district-plan", state=State.SUBMITTED)
        submission_id = submission.id
        db.session.commit()

        def act(index, submission_id=submission_id):
            submission = db.session.get(Submission, submission_id)
            if index == 0:
                version = submissions.withdraw(educator=submission.educator, submission=submission)
                reviews.release_for_withdrawal(version, actor=submission.educator)
                return "withdrawn"
            staff = db.session.get(type(submission.educator), staff_id)
            return reviews.assign_by_hand(staff=staff, version=submission.current_version, reviewer_id=reviewer_id)

        outcomes = run_at_once(app, act, 2)
        db.session.expire_all()
        version = db.session.get(Submission, submission_id).current_version
        open_assignments = db.session.scalar(
            select(func.count()).select_from(Assignment)
            .where(Assignment.version_id == version.id, Assignment.state == AssignmentState.OPEN)
        )
        assert version.state == State.WITHDRAWN, outcomes
        assert open_assignments == 0, outcomes
        assert not isinstance(outcomes[1], Exception) or isinstance(outcomes[1], reviews.ReviewError), outcomes
