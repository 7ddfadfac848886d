"""A reviewer's queue: their open assignments, soonest due first, and the last ones closed, each row as the page
prints it (HTML, escaped). Plain columns from statements built once, three queries whatever the number of rows."""

from datetime import datetime
from typing import NamedTuple

from markupsafe import Markup, escape
from sqlalchemy import bindparam, exists, select

from portal.catalog.models import Credential
from portal.extensions import db
from portal.reviews.models import Assignment, AssignmentState, Review, ReviewerProfile
from portal.submissions.models import State, Submission, Version

RECENT = 10


class Listed(NamedTuple):
    """Rows as templates/reviews/queue.html prints them: written here, an f-string a row, rather than looked up and
    escaped cell by cell in a Jinja loop. Texts from the database are escaped; the rest are numbers, dates and
    fixed words."""

    count: int
    html: Markup


class Availability(NamedTuple):
    is_active: bool
    capacity: int


def _of_reviewer(*columns):
    return (
        select(Assignment.id, Version.submission_id, Version.number, Credential.title, *columns)
        .join(Version, Version.id == Assignment.version_id)
        .join(Submission, Submission.id == Version.submission_id)
        .join(Credential, Credential.id == Submission.credential_id)
        .where(Assignment.reviewer_id == bindparam("reviewer_id"))
    )


_OPEN = (
    _of_reviewer(Assignment.due_at, exists().where(Review.assignment_id == Assignment.id))
    .where(Assignment.state == AssignmentState.OPEN)
    .order_by(Assignment.due_at)
)
_CLOSED = (
    _of_reviewer(Assignment.state, Version.state)
    .where(Assignment.closed_at.is_not(None))
    .order_by(Assignment.closed_at.desc())
    .limit(RECENT)
)
_AVAILABILITY = select(ReviewerProfile.is_active, ReviewerProfile.capacity).where(
    ReviewerProfile.user_id == bindparam("reviewer_id")
)
_DEFAULTS = ReviewerProfile.__table__.c


def _rows(statement, reviewer_id: int):
    # Plain columns: read on the session's connection, without the ORM's work per statement.
    return db.session.connection().execute(statement, {"reviewer_id": reviewer_id})


def open_rows(reviewer_id: int, *, now: datetime, href: str) -> Listed:
    """The table's rows. `href` is the scoring page's URL with {} for the assignment id, built once per page."""
    href, rows = str(escape(href)), []
    for id, submission_id, number, credential, due_at, started in _rows(_OPEN, reviewer_id):
        overdue = ' <span class="state state-not_yet">Overdue</span>' if due_at < now else ""
        rows.append(f"""
          <tr>
            <th scope="row"><a href="{href.format(id)}">Submission {submission_id}, version {number}</a></th>
            <td>{escape(credential)}</td>
            <td><time datetime="{due_at.isoformat()}Z">{due_at:%d %b %Y}</time>{overdue}</td>
            <td>{"In progress" if started else "Not started"}</td>
          </tr>
        """)
    return Listed(len(rows), Markup("".join(rows)))  # noqa: S704 -- every value escaped above


def closed_rows(reviewer_id: int, *, href: str) -> Listed:
    """The list's items, the last closed first."""
    href, rows = str(escape(href)), []
    for id, submission_id, number, credential, state, version_state in _rows(_CLOSED, reviewer_id):
        rows.append(f"""
        <li><a href="{href.format(id)}">Submission {submission_id}, version {number}</a> — {escape(credential)}: \
{escape(_outcome(state, version_state))}</li>
      """)
    return Listed(len(rows), Markup("".join(rows)))  # noqa: S704 -- every value escaped above


def _outcome(state: str, version_state: str) -> str:
    """Why a closed assignment closed, in the reviewer's words; a released one says who released it."""
    if state != AssignmentState.RELEASED:
        return {AssignmentState.DONE: "confirmed", AssignmentState.DECLINED: "declined"}.get(state, state)
    if version_state == State.WITHDRAWN:
        return "released: the educator withdrew it"
    if version_state in (State.EARNED, State.NOT_YET):
        return "released: decided by another review"
    return "released: reassigned by staff"


def availability(reviewer_id: int) -> Availability:
    """The reviewer's profile settings, or those a new profile would have (reading creates nothing)."""
    found = _rows(_AVAILABILITY, reviewer_id).first()
    if found is None:
        return Availability(_DEFAULTS.is_active.default.arg, _DEFAULTS.capacity.default.arg)
    return Availability(*found)
