"""A reviewer's queue: their open assignments, soonest due first, and the last ones closed, each row as the page
prints it. Plain columns from statements built once, three queries whatever the number of rows."""

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, exists, select

from portal.catalog.models import Credential
from portal.extensions import db
from portal.reviews.models import Assignment, AssignmentState, Review, ReviewerProfile
from portal.submissions.models import State, Submission, Version

RECENT = 10


class OpenRow(NamedTuple):
    href: str
    submission_id: int
    number: int
    credential: str
    due_at: str  # ISO 8601 in UTC, for <time datetime>
    due: str
    is_overdue: bool
    progress: str


class ClosedRow(NamedTuple):
    href: str
    submission_id: int
    number: int
    credential: str
    outcome: str


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


def open_rows(reviewer_id: int, *, now: datetime, href: str) -> list[OpenRow]:
    """`href` is the scoring page's URL with {} for the assignment id, built once per page."""
    return [
        OpenRow(href.format(id), submission_id, number, credential, f"{due_at.isoformat()}Z", f"{due_at:%d %b %Y}",
                due_at < now, "In progress" if started else "Not started")
        for id, submission_id, number, credential, due_at, started in _rows(_OPEN, reviewer_id)
    ]


def closed_rows(reviewer_id: int, *, href: str) -> list[ClosedRow]:
    return [
        ClosedRow(href.format(id), submission_id, number, credential, _outcome(state, version_state))
        for id, submission_id, number, credential, state, version_state in _rows(_CLOSED, reviewer_id)
    ]


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
