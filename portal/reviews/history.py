"""The staff page of one submission: its history (every version with its assignments and reviews, and the
audit trail) and the reviewers staff may assign it to. A fixed number of queries whatever the history's length.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.extensions import db
from portal.reviews.models import Assignment, Review, ReviewerProfile
from portal.reviews.services import needs_adjudication
from portal.reviews.stats import open_loads
from portal.submissions.models import Submission, Version


@dataclass(frozen=True)
class VersionHistory:
    version: Version
    assignments: list[Assignment]
    reviews: list[Review]  # confirmed, oldest first (an adjudication comes last)


@dataclass(frozen=True)
class SubmissionHistory:
    versions: list[VersionHistory]  # newest first
    events: list[tuple[AuditEvent, str | None]]  # (event, actor's name), newest first
    needs_adjudication: bool  # the current version
    people: dict[int, str]  # user id -> name, for the user ids in the events' details


# Audit detail keys whose values are user ids (routing and reassignment events).
PERSON_KEYS = ("reviewer", "released", "to")


@dataclass(frozen=True)
class ReviewerOption:
    user_id: int
    label: str


def submission_history(submission: Submission) -> SubmissionHistory:
    version_ids = [v.id for v in submission.versions]
    assignments: dict[int, list[Assignment]] = defaultdict(list)
    query = (
        select(Assignment)
        .where(Assignment.version_id.in_(version_ids))
        .options(joinedload(Assignment.reviewer))
        .order_by(Assignment.id)
    )
    for assignment in db.session.scalars(query):
        assignments[assignment.version_id].append(assignment)
    reviews: dict[int, list[Review]] = defaultdict(list)
    query = (
        select(Review)
        .where(Review.version_id.in_(version_ids), Review.confirmed_at.is_not(None))
        .options(joinedload(Review.reviewer))
        .order_by(Review.is_adjudication, Review.id)
    )
    for review in db.session.scalars(query):
        reviews[review.version_id].append(review)
    events = db.session.execute(
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.subject_type == Submission.__tablename__, AuditEvent.subject_id == submission.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    current = submission.current_version
    return SubmissionHistory(
        versions=[VersionHistory(v, assignments[v.id], reviews[v.id]) for v in reversed(submission.versions)],
        events=[(event, name) for event, name in events],
        needs_adjudication=needs_adjudication(current, reviews[current.id]),
        people=_names({(e.detail or {}).get(key) for e, _name in events for key in PERSON_KEYS}),
    )


def _names(user_ids) -> dict[int, str]:
    ids = {i for i in user_ids if isinstance(i, int)}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def reviewer_options(submission: Submission, *, now: datetime) -> list[ReviewerOption]:
    """Every reviewer profile, labelled with load and capacity and anything that speaks against choosing them.
    Staff may still choose anyone: the assignment service refuses conflicts of interest with its reason."""
    loads = open_loads(now)
    author_org = submission.educator.organization_id
    stack_id = submission.credential.stack_id
    query = (
        select(ReviewerProfile)
        .join(User, User.id == ReviewerProfile.user_id)
        .options(selectinload(ReviewerProfile.stacks))
        .order_by(User.name, User.id)
    )
    options = []
    for profile in db.session.scalars(query):
        user = profile.user
        notes = []
        if user.id == submission.educator_id:
            notes.append("the author")
        elif author_org is not None and user.organization_id == author_org:
            notes.append("author's organization")
        if not (profile.is_active and user.is_reviewer):
            notes.append("paused")
        if all(stack.id != stack_id for stack in profile.stacks):
            notes.append("not qualified for this stack")
        load, _overdue_count = loads.get(user.id, (0, 0))
        label = f"{user.name} — {load} of {profile.capacity} open"
        options.append(ReviewerOption(user.id, label + (f" ({', '.join(notes)})" if notes else "")))
    return options
