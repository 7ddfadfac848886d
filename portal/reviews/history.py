"""The staff page of one submission: its history (every version with its assignments and reviews, and the
audit trail) and the reviewers staff may assign it to. A fixed number of queries whatever the history's length.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.extensions import db
from portal.reviews import routing
from portal.reviews.models import Assignment, Review
from portal.reviews.services import needs_adjudication, version_assignments
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
    reasons: list[str] = field(default_factory=list)  # why routing refuses them; empty when they may take it


@dataclass(frozen=True)
class HandAssignment:
    """What assigning by hand does to a version that already has its reviewer(s)."""

    replaces: Assignment | None  # the open assignment that will be released, if any
    message: str


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


def reviewer_options(submission: Submission) -> list[ReviewerOption]:
    """Every reviewer profile, labelled with load and capacity, and the routing rule's reasons against any who may
    not take the current version ("same organization", "at capacity" ...). Staff can choose only those without."""
    version = submission.current_version
    candidates = routing.pool_candidates(submission.credential.stack_id)
    reasons = routing.refusals(version, candidates)
    names = _names(c.user_id for c in candidates)
    options = [
        ReviewerOption(c.user_id, f"{names[c.user_id]} — {c.load} of {c.capacity} open", reasons[c.user_id])
        for c in candidates
    ]
    return sorted(options, key=lambda o: (o.label.casefold(), o.user_id))


def hand_assignment(version: Version) -> HandAssignment:
    """Assigning by hand adds a reviewer while the version still needs one; when it already has all it needs, the
    chosen reviewer replaces the open assignment (the oldest), which is released. Says which, by name."""
    held = [a for a in version_assignments(version) if a.state in routing.HOLDING]
    needed = routing.reviews_needed_for(version.submission_id)
    open_ = [a for a in held if a.is_open]
    if len(held) >= needed and open_:
        first = open_[0]
        return HandAssignment(first, f"{first.reviewer.name}'s assignment will be released: they will no longer "
                                     "review this version, and the reviewer you choose takes it over.")
    if held:
        names = " and ".join(a.reviewer.name for a in held)
        return HandAssignment(None, f"{names} keeps this version; the reviewer you choose is added "
                                    f"({len(held) + 1} of {max(needed, len(held) + 1)} reviewers).")
    return HandAssignment(None, "Nobody holds this version yet: the reviewer you choose takes it.")
