"""Review routing: the eligibility rule and tie-breaks as a table, then the same rule against the database."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.badges.keys import signing_key
from portal.extensions import db
from portal.notifications.models import Notice
from portal.reviews import routing
from portal.reviews import services as reviews
from portal.reviews.models import Assignment, AssignmentState
from portal.reviews.routing import Candidate, choose
from portal.submissions import services as submissions
from portal.submissions.models import State
from tests.reviews.conftest import all_yes

AUTHOR, AUTHOR_ORG = 1, 100
EARLY, LATE = datetime(2026, 1, 1), datetime(2026, 3, 1)


def person(user_id, org=200, active=True, qualified=True, capacity=3, load=0, last=None):
    return Candidate(user_id, org, active, qualified, capacity, load, last)


@pytest.mark.parametrize(
    ("candidates", "excluded", "preferred", "expected"),
    [
        ([person(2)], (), None, 2),
        ([person(2, org=AUTHOR_ORG)], (), None, None),  # conflict: same organization
        ([person(AUTHOR)], (), None, None),  # never the author
        ([person(2, capacity=2, load=2)], (), None, None),  # at capacity
        ([person(2, active=False)], (), None, None),  # paused
        ([person(2, qualified=False)], (), None, None),  # not qualified for the stack
        ([person(2)], (2,), None, None),  # declined it
        ([person(2, load=2), person(3, load=1)], (), None, 3),  # least loaded
        ([person(2, last=LATE), person(3, last=EARLY)], (), None, 3),  # then least recently assigned
        ([person(2, last=EARLY), person(3, last=None)], (), None, 3),  # never assigned is least recent
        ([person(3), person(2)], (), None, 2),  # then lowest id
        ([person(2, load=2), person(3)], (), 2, 2),  # a revision returns to its reviewer
        ([person(2, load=3, capacity=3), person(3)], (), 2, 3),  # ... while eligible
        ([person(2, org=None)], (), None, 2),  # a reviewer without organization has no conflict
    ],
)
def test_choose(candidates, excluded, preferred, expected):
    chosen = choose(candidates, author_id=AUTHOR, author_organization_id=AUTHOR_ORG, excluded=set(excluded),
                    preferred=preferred)
    assert (chosen.user_id if chosen else None) == expected


def open_reviewers(version):
    query = select(Assignment.reviewer_id).where(
        Assignment.version_id == version.id, Assignment.state == AssignmentState.OPEN
    )
    return set(db.session.scalars(query))


def test_submit_assigns_least_loaded_eligible_reviewer(make_reviewer, submit_plan):
    same_org = make_reviewer(organization="Riverside Unified School District")
    busy = make_reviewer(capacity=1)
    free = make_reviewer()
    submit_plan()  # goes to busy (lowest id among equals), filling it
    second = submit_plan()
    assert open_reviewers(second.current_version) == {free.id}
    assert same_org.id not in open_reviewers(second.current_version)
    assert busy.id != free.id


def test_nobody_eligible_waits_flagged_then_assigned_when_someone_frees_up(make_reviewer, submit_plan):
    reviewer = make_reviewer(capacity=1)
    first = submit_plan()
    waiting = submit_plan()
    assert open_reviewers(waiting.current_version) == set()
    assert routing.waiting_versions() == [waiting.current_version]

    assignment = db.session.scalar(select(Assignment).where(Assignment.version_id == first.current_version.id))
    reviews.confirm_review(reviewer=reviewer, assignment=assignment, entries=all_yes(first.current_version))
    db.session.commit()
    assert open_reviewers(waiting.current_version) == {reviewer.id}
    assert routing.waiting_versions() == []


def test_unpausing_assigns_waiting_work(make_reviewer, submit_plan):
    reviewer = make_reviewer(is_active=False)
    waiting = submit_plan()
    assert open_reviewers(waiting.current_version) == set()
    reviews.set_availability(reviewer=reviewer, is_active=True)
    db.session.commit()
    assert open_reviewers(waiting.current_version) == {reviewer.id}


def test_decline_reassigns_at_once_and_never_back(make_reviewer, submit_plan):
    first, second = make_reviewer(), make_reviewer()
    submission = submit_plan()
    version = submission.current_version
    [assignment] = db.session.scalars(select(Assignment).where(Assignment.version_id == version.id)).all()
    assert assignment.reviewer_id == first.id
    reviews.decline(reviewer=first, assignment=assignment, reason="I coached this educator")
    db.session.commit()
    assert open_reviewers(version) == {second.id}
    assert assignment.state == AssignmentState.DECLINED

    other = db.session.scalar(select(Assignment).where(Assignment.reviewer_id == second.id))
    reviews.decline(reviewer=second, assignment=other, reason="No time")
    db.session.commit()
    assert open_reviewers(version) == set()  # the first reviewer declined, so it waits for staff


def test_resubmission_returns_to_the_same_reviewer(make_reviewer, submit_plan):
    reviewer_a, reviewer_b = make_reviewer(), make_reviewer()
    submission = submit_plan()
    version = submission.current_version
    assignment = db.session.scalar(select(Assignment).where(Assignment.version_id == version.id))
    assert assignment.reviewer_id == reviewer_a.id
    entries = all_yes(version)
    entries["plan"] = ("not_yet", "Goal 2 needs a measurable outcome.")
    reviews.confirm_review(reviewer=reviewer_a, assignment=assignment, entries=entries)
    db.session.commit()
    assert version.state == State.NOT_YET

    submissions.transition(submission, State.DRAFT, actor=submission.educator)
    new_version = submissions.submit(educator=submission.educator, submission=submission)
    reviews.route_submitted(new_version, actor=submission.educator)
    db.session.commit()
    assert open_reviewers(new_version) == {reviewer_a.id}  # although reviewer B is less recently assigned
    assert reviewer_b.id not in open_reviewers(new_version)


def test_calibration_share_double_scores_deterministically(app, make_reviewer, submit_plan):
    app.config["CALIBRATION_SHARE"] = 1.0
    make_reviewer(), make_reviewer()
    submission = submit_plan()
    assert len(open_reviewers(submission.current_version)) == 2
    app.config["CALIBRATION_SHARE"] = 0.1
    chosen = [routing.is_double_scored(n) for n in range(1, 2001)]
    assert chosen == [routing.is_double_scored(n) for n in range(1, 2001)]
    assert 0.08 < sum(chosen) / len(chosen) < 0.12


def test_withdrawal_releases_the_assignment(make_reviewer, submit_plan):
    reviewer = make_reviewer()
    submission = submit_plan()
    version = submissions.withdraw(educator=submission.educator, submission=submission)
    reviews.release_for_withdrawal(version, actor=submission.educator)
    db.session.commit()
    assert open_reviewers(version) == set()
    assignment = db.session.scalar(select(Assignment).where(Assignment.reviewer_id == reviewer.id))
    assert assignment.state == AssignmentState.RELEASED


def test_tick_reminds_before_due_and_once_when_overdue(app, make_reviewer, submit_plan):
    reviewer = make_reviewer()
    version = submit_plan().current_version
    assignment = db.session.scalar(select(Assignment).where(Assignment.version_id == version.id))
    assert reviews.send_reminders(now=assignment.due_at - timedelta(days=5)) == (0, 0)
    assert reviews.send_reminders(now=assignment.due_at - timedelta(days=2)) == (1, 0)
    assert reviews.send_reminders(now=assignment.due_at - timedelta(days=1)) == (0, 0)
    assert reviews.send_reminders(now=assignment.due_at + timedelta(hours=1)) == (0, 1)
    assert reviews.send_reminders(now=assignment.due_at + timedelta(days=3)) == (0, 0)
    db.session.commit()
    texts = db.session.scalars(select(Notice.text).where(Notice.user_id == reviewer.id).order_by(Notice.id)).all()
    assert texts[-2].startswith("Reminder: a review of “Creating a District Plan")
    assert texts[-1].startswith("Overdue: the review of “Creating a District Plan")
    result = app.test_cli_runner().invoke(args=["reviews", "tick"])
    assert result.output.strip() == "reminded 0, overdue 0, routed 0 waiting submissions"


def test_reviewer_queue_query_count_does_not_grow(client, make_reviewer, submit_plan, login_as, count_queries):
    reviewer = make_reviewer(capacity=40)
    submit_plan()
    login_as(reviewer)
    client.get("/review")
    with count_queries() as one:
        page = client.get("/review").get_data(as_text=True)
    assert page.count("Submission ") == 1
    for _ in range(25):
        submit_plan()
    with count_queries() as many:
        page = client.get("/review").get_data(as_text=True)
    assert page.count("Not started") == 26
    assert many[0] == one[0]


def confirm_first_open(reviewer) -> None:
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.reviewer_id == reviewer.id, Assignment.state == AssignmentState.OPEN)
    )
    reviews.confirm_review(reviewer=reviewer, assignment=assignment, entries=all_yes(assignment.version))
    db.session.commit()


def test_a_freed_reviewer_gets_the_oldest_waiting_version_they_may_take(make_reviewer, submit_plan):
    reviewer = make_reviewer(capacity=1, organization="Lakeview Charter Network")
    submit_plan()  # fills the reviewer
    colleague = submit_plan(organization="Lakeview Charter Network")  # older, but from the reviewer's organization
    eligible, younger = submit_plan(), submit_plan()

    confirm_first_open(reviewer)

    assert open_reviewers(colleague.current_version) == set()
    assert open_reviewers(eligible.current_version) == {reviewer.id}
    assert open_reviewers(younger.current_version) == set()  # capacity 1: one at a time
    assert routing.waiting_versions() == [colleague.current_version, younger.current_version]


def test_a_freed_reviewer_is_not_given_a_submission_they_declined(make_reviewer, submit_plan):
    reviewer = make_reviewer(capacity=1)
    declined = submit_plan()
    assignment = db.session.scalar(select(Assignment).where(Assignment.version_id == declined.current_version.id))
    reviews.decline(reviewer=reviewer, assignment=assignment, reason="I coached this educator")
    db.session.commit()
    submit_plan()  # takes the reviewer's one place
    later = submit_plan()

    confirm_first_open(reviewer)

    assert open_reviewers(declined.current_version) == set()
    assert open_reviewers(later.current_version) == {reviewer.id}


def test_confirming_costs_the_same_however_many_versions_wait(make_reviewer, submit_plan, count_queries):
    """Waiting versions the freed reviewer cannot take (their organization's) are not tried one by one."""
    reviewer = make_reviewer(capacity=2, organization="Lakeview Charter Network")
    submit_plan(), submit_plan()
    submit_plan(organization="Lakeview Charter Network")
    signing_key()  # the issuer key is published on first use, once: not what this test counts
    with count_queries() as few:
        confirm_first_open(reviewer)
    for _ in range(20):
        submit_plan(organization="Lakeview Charter Network")
    with count_queries() as many:
        confirm_first_open(reviewer)

    assert len(routing.waiting_versions()) == 21
    assert many[0] == few[0]
