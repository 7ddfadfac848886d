"""The reviewer's queue: open work soonest due first with its progress, the last closed with why, and a fixed
number of queries (the count guard is in test_routing)."""

import re
from datetime import timedelta

from sqlalchemy import select

from portal.audit import utcnow
from portal.extensions import db
from portal.reviews import queue
from portal.reviews import services as reviews
from portal.reviews.models import Assignment, AssignmentState
from portal.submissions.models import State
from tests.reviews.conftest import all_yes


def assignment_of(version, reviewer) -> Assignment:
    return db.session.scalar(
        select(Assignment).where(Assignment.version_id == version.id, Assignment.reviewer_id == reviewer.id)
    )


def test_queue_shows_open_work_by_due_date_with_progress_and_closed_work_with_why(
    client, login_as, make_reviewer, submit_plan
):
    rita = make_reviewer(name="Rita Reviewer", capacity=10)
    late, fresh, done, declined = (submit_plan() for _ in range(4))
    started = assignment_of(late.current_version, rita)
    started.due_at = utcnow() - timedelta(days=2)
    reviews.save_review(reviewer=rita, assignment=started, entries={"overview": ("yes", "Clear.")})
    finished = assignment_of(done.current_version, rita)
    reviews.confirm_review(reviewer=rita, assignment=finished, entries=all_yes(done.current_version))
    reviews.decline(reviewer=rita, assignment=assignment_of(declined.current_version, rita), reason="No time.")
    db.session.commit()
    login_as(rita)

    page = client.get("/review").get_data(as_text=True)

    rows = re.findall(r"<tr>\s*<th scope=\"row\"><a href=\"([^\"]+)\">(.*?)</a></th>(.*?)</tr>", page, flags=re.S)
    assert [(href, label) for href, label, _ in rows] == [
        (f"/review/assignments/{started.id}", f"Submission {late.id}, version 1"),
        (f"/review/assignments/{assignment_of(fresh.current_version, rita).id}", f"Submission {fresh.id}, version 1"),
    ]
    assert f'<time datetime="{started.due_at.isoformat()}Z">{started.due_at:%d %b %Y}</time> ' in rows[0][2]
    assert "Overdue" in rows[0][2] and "In progress" in rows[0][2]
    assert "Overdue" not in rows[1][2] and "Not started" in rows[1][2]
    assert "You have <strong>2 open reviews</strong> of a capacity of <strong>10</strong>." in page
    closed_item = r'<li><a href="/review/assignments/\d+">Submission (\d+), version 1</a> — [^:]+: ([^<]+)</li>'
    closed = re.findall(closed_item, page)
    assert sorted(closed) == sorted([(str(done.id), "confirmed"), (str(declined.id), "declined")])


def test_queue_of_a_reviewer_without_a_profile_shows_the_defaults(client, login_as, make_user):
    newcomer = make_user(roles=("reviewer",))  # the role alone: no profile is stored yet
    login_as(newcomer)

    page = client.get("/review").get_data(as_text=True)

    assert "of a capacity of <strong>5</strong>" in page and "New submissions can be assigned to you." in page
    assert "Nothing is waiting for you right now." in page


def test_released_work_says_who_released_it():
    assert queue._outcome(AssignmentState.RELEASED, State.WITHDRAWN) == "released: the educator withdrew it"
    assert queue._outcome(AssignmentState.RELEASED, State.EARNED) == "released: decided by another review"
    assert queue._outcome(AssignmentState.RELEASED, State.NOT_YET) == "released: decided by another review"
    assert queue._outcome(AssignmentState.RELEASED, State.IN_REVIEW) == "released: reassigned by staff"
    assert queue._outcome(AssignmentState.DONE, State.EARNED) == "confirmed"
    assert queue._outcome(AssignmentState.DECLINED, State.SUBMITTED) == "declined"


def test_queue_rows_escape_the_credential_title(client, login_as, make_reviewer, submit_plan):
    """The rows are written in Python (queue.open_rows, queue.closed_rows), not by Jinja: texts stay escaped."""
    rita = make_reviewer(name="Rita Reviewer", capacity=10)
    open_one, declined = submit_plan(), submit_plan()
    reviews.decline(reviewer=rita, assignment=assignment_of(declined.current_version, rita), reason="No time.")
    open_one.credential.title = "Plan <b>&</b> act"
    db.session.commit()
    login_as(rita)

    page = client.get("/review").get_data(as_text=True)

    assert "<b>" not in page
    assert page.count("Plan &lt;b&gt;&amp;&lt;/b&gt; act") == 2  # the open row and the declined item
