"""Read-only queries behind the staff review pages: the submissions overview, one submission's history and
the reviewer pool's numbers.

Every function issues a fixed number of queries whatever the number of rows: per-row facts are aggregated
in SQL (GROUP BY) or loaded for the whole page at once, never one query per row. The one exception to "in
SQL" is the median time to decide, computed in Python from a single query that returns one (reviewer, days)
row per confirmed review: portable SQL (SQLite and PostgreSQL alike) has no median aggregate.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Row, Select, and_, case, exists, func, or_, select, union
from sqlalchemy.orm import aliased, joinedload, selectinload

from portal.accounts.models import Organization, User
from portal.audit import AuditEvent
from portal.catalog.models import Credential, Stack
from portal.extensions import db
from portal.reviews import routing
from portal.reviews.agreement import Agreement, agreement, median
from portal.reviews.models import Assignment, AssignmentState, PartResult, Result, Review, ReviewerProfile
from portal.reviews.services import needs_adjudication, reviews_disagree
from portal.submissions.models import State, Submission, Version

WAITING_STATES = (State.SUBMITTED, State.IN_REVIEW)
HOLDING_STATES = (AssignmentState.OPEN, AssignmentState.DONE)
# A reviewer whose Yes rate is this far from the pool's is pointed out to staff...
LENIENCY_GAP = 0.25
# ...once they have recorded enough part results for the comparison to mean something.
MIN_RESULTS_TO_COMPARE = 10


# --- the submissions overview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionFilters:
    state: str | None = None
    credential_id: int | None = None
    reviewer_id: int | None = None
    overdue_only: bool = False
    waiting_only: bool = False


@dataclass(frozen=True)
class SubmissionRow:
    listing: Row  # submissions_query's columns: the submission, its educator and credential, its current version
    reviewers: list[str]  # who holds the current version (open or done)
    due_at: datetime | None  # the earliest due date of an open assignment
    reviews_done: int  # confirmed reviews of the current version, adjudication excluded
    reviews_needed: int
    is_waiting: bool
    is_overdue: bool
    needs_adjudication: bool
    needs_coaching: bool

    @property
    def flags(self) -> list[str]:
        named = (
            (self.is_waiting, "Waiting for a reviewer"),
            (self.is_overdue, "Overdue"),
            (self.needs_adjudication, "Needs adjudication"),
            (self.needs_coaching, "Coaching"),
        )
        return [label for raised, label in named if raised]

    @property
    def state_label(self) -> str:
        return State(self.listing.state).label


def _regular_confirmed(review) -> list:
    """Conditions for a confirmed review by a reviewer (not a staff adjudication)."""
    return [review.confirmed_at.is_not(None), review.is_adjudication.is_(False)]


def waiting_version_ids() -> list[int]:
    """Submitted or in-review versions held by fewer reviewers than they need. How many a version needs is
    decided in Python (a hash of the submission id), so SQL narrows to fewer than two holders first."""
    holding = (
        select(func.count())
        .select_from(Assignment)
        .where(Assignment.version_id == Version.id, Assignment.state.in_(HOLDING_STATES))
        .correlate(Version)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Version.id, Version.submission_id, holding).where(Version.state.in_(WAITING_STATES), holding < 2)
    ).all()
    return [version_id for version_id, submission_id, held in rows if held < routing.reviews_needed_for(submission_id)]


def submissions_query(filters: SubmissionFilters, *, now: datetime) -> Select:
    """One row of plain columns per submission matching the filters, with its current version; the caller
    orders and limits. The current version is the one no later version of its submission follows: with the
    (submission_id, number) index that is one probe per row read, so a page of 50 reads about 50 rows."""
    later = aliased(Version, name="later_version")
    is_current = ~exists().where(later.submission_id == Version.submission_id, later.number > Version.number)
    query = (
        select(
            Submission.id,
            Submission.educator_id,
            Submission.credential_id,
            User.name.label("educator"),
            Organization.name.label("organization"),
            Credential.title.label("credential"),
            Version.id.label("version_id"),
            Version.number,
            Version.state,
        )
        .join(Version, Version.submission_id == Submission.id)
        .join(User, User.id == Submission.educator_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .join(Credential, Credential.id == Submission.credential_id)
        .where(is_current)
    )
    if filters.state:
        query = query.where(Version.state == filters.state)
    if filters.credential_id:
        query = query.where(Submission.credential_id == filters.credential_id)
    # Filters by assignment start from the few matching assignments (through their indexes) rather than
    # probing every submission in turn.
    if filters.reviewer_id:
        held = select(Assignment.version_id).where(
            Assignment.reviewer_id == filters.reviewer_id, Assignment.state.in_(HOLDING_STATES)
        )
        query = query.where(Version.id.in_(held))
    if filters.overdue_only:
        late = select(Assignment.version_id).where(Assignment.state == AssignmentState.OPEN, Assignment.due_at < now)
        query = query.where(Version.id.in_(late))
    if filters.waiting_only:
        query = query.where(Version.id.in_(waiting_version_ids()))
    return query


def submission_rows(listings: list[Row], *, now: datetime, coaching_after: int) -> list[SubmissionRow]:
    """The facts behind each row of a page of submissions_query rows: three queries for the whole page."""
    if not listings:
        return []
    version_ids = [listing.version_id for listing in listings]
    holders: dict[int, list[str]] = defaultdict(list)
    due: dict[int, list[datetime]] = defaultdict(list)
    # Filtering on the state in SQL would tempt a planner without statistics to scan by state instead.
    assignments = db.session.execute(
        select(Assignment.version_id, Assignment.state, Assignment.due_at, User.name)
        .join(User, User.id == Assignment.reviewer_id)
        .where(Assignment.version_id.in_(version_ids))
        .order_by(Assignment.id)
    ).all()
    for version_id, state, due_at, name in assignments:
        if state not in HOLDING_STATES:
            continue
        holders[version_id].append(name)
        if state == AssignmentState.OPEN:
            due[version_id].append(due_at)
    reviews = _confirmed_results(version_ids)
    not_yet_counts = _not_yet_counts({listing.educator_id for listing in listings})
    rows = []
    for listing in listings:
        version_id = listing.version_id
        needed = routing.reviews_needed_for(listing.id)
        confirmed = list(reviews[version_id].values())
        rows.append(
            SubmissionRow(
                listing=listing,
                reviewers=holders[version_id],
                due_at=min(due[version_id], default=None),
                reviews_done=sum(not is_adjudication for is_adjudication, _ in confirmed),
                reviews_needed=needed,
                is_waiting=listing.state in WAITING_STATES and len(holders[version_id]) < needed,
                is_overdue=any(d < now for d in due[version_id]),
                needs_adjudication=listing.state == State.IN_REVIEW and reviews_disagree(confirmed),
                needs_coaching=not_yet_counts.get((listing.educator_id, listing.credential_id), 0) >= coaching_after,
            )
        )
    return rows


def _confirmed_results(version_ids) -> dict[int, dict[int, tuple[bool, dict]]]:
    """version -> review -> (is_adjudication, {part: result}) for confirmed reviews, in one query."""
    rows = db.session.execute(
        select(Review.version_id, Review.id, Review.is_adjudication, PartResult.part_key, PartResult.result)
        .outerjoin(PartResult, PartResult.review_id == Review.id)
        .where(Review.version_id.in_(version_ids), Review.confirmed_at.is_not(None))
        .order_by(Review.id)
    )
    found: dict[int, dict[int, tuple[bool, dict]]] = defaultdict(dict)
    for version_id, review_id, is_adjudication, part_key, result in rows:
        _, results = found[version_id].setdefault(review_id, (is_adjudication, {}))
        if part_key is not None:
            results[part_key] = result
    return found


def _not_yet_counts(educator_ids) -> dict[tuple[int, int], int]:
    """(educator, credential) -> how many of their versions were decided Not yet, over all their submissions."""
    # Counted with CASE rather than a WHERE on the state, so the educators' index is the obvious way in.
    not_yet = func.sum(case((Version.state == State.NOT_YET, 1), else_=0))
    query = (
        select(Submission.educator_id, Submission.credential_id, not_yet)
        .join(Version, Version.submission_id == Submission.id)
        .where(Submission.educator_id.in_(educator_ids))
        .group_by(Submission.educator_id, Submission.credential_id)
    )
    return {(educator, credential): count for educator, credential, count in db.session.execute(query) if count}


def credential_choices() -> list[tuple[int, str]]:
    query = select(Credential.id, Credential.title).join(Stack).order_by(Stack.title, Credential.position)
    return [(credential_id, title) for credential_id, title in db.session.execute(query)]


def reviewer_choices() -> list[tuple[int, str]]:
    """Everyone who reviews or has reviewed: the reviewer role or a reviewer profile (every assignment goes to
    someone with a profile, so a former reviewer keeps theirs)."""
    reviewer_ids = union(
        select(ReviewerProfile.user_id), select(User.id.label("user_id")).where(User.is_reviewer)
    ).subquery()
    query = (
        select(User.id, User.name)
        .join(reviewer_ids, reviewer_ids.c.user_id == User.id)
        .order_by(User.name, User.id)
    )
    return [(user_id, name) for user_id, name in db.session.execute(query)]


# --- one submission's history ---------------------------------------------------------------------------------


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
    loads = _open_loads(now)
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


# --- the reviewer pool ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartRate:
    yes: int
    total: int

    @property
    def rate(self) -> float:
        return self.yes / self.total


@dataclass
class ReviewerStats:
    user: User
    profile: ReviewerProfile | None  # None: has the reviewer role but was never set up
    load: int = 0  # open assignments
    overdue: int = 0  # open assignments past their due date
    reviews_done: int = 0  # confirmed reviews, adjudications excluded
    median_days: float | None = None  # assigned -> confirmed
    parts: dict[str, PartRate] = field(default_factory=dict)  # part key -> Yes among their confirmed results
    agreement: Agreement = field(default_factory=lambda: agreement([]))  # against the other reviewer, per part
    comparison: str | None = None  # "Much stricter than the pool", "Much more lenient than the pool"

    @property
    def results(self) -> int:
        return sum(p.total for p in self.parts.values())

    @property
    def yes_rate(self) -> float | None:
        total = self.results
        return sum(p.yes for p in self.parts.values()) / total if total else None


@dataclass(frozen=True)
class ReviewerPool:
    reviewers: list[ReviewerStats]
    yes_rate: float | None  # over every reviewer's confirmed results
    parts: dict[str, PartRate]  # part key -> the whole pool's Yes rate, in key order

    @property
    def part_keys(self) -> list[str]:
        return list(self.parts)


def reviewer_pool(*, now: datetime) -> ReviewerPool:
    """The reviewer table: everyone with the reviewer role or a profile, with their numbers. Seven queries."""
    query = (
        select(User, ReviewerProfile)
        .outerjoin(ReviewerProfile, ReviewerProfile.user_id == User.id)
        .where(or_(User.is_reviewer, ReviewerProfile.user_id.is_not(None)))
        .options(selectinload(ReviewerProfile.stacks))
        .order_by(User.name, User.id)
    )
    reviewers = [ReviewerStats(user=user, profile=profile) for user, profile in db.session.execute(query)]
    loads = _open_loads(now)
    done = _reviews_done()
    days = _days_to_decide()
    parts = _part_rates()
    pairs = _agreement_pairs()
    for row in reviewers:
        row.load, row.overdue = loads.get(row.user.id, (0, 0))
        row.reviews_done = done.get(row.user.id, 0)
        row.median_days = median(days.get(row.user.id, []))
        row.parts = parts.get(row.user.id, {})
        row.agreement = agreement(pairs.get(row.user.id, []))
    pool_parts: dict[str, PartRate] = {}
    for by_part in parts.values():
        for key, rate in by_part.items():
            seen = pool_parts.get(key, PartRate(0, 0))
            pool_parts[key] = PartRate(yes=seen.yes + rate.yes, total=seen.total + rate.total)
    pool_total = sum(p.total for p in pool_parts.values())
    pool_rate = sum(p.yes for p in pool_parts.values()) / pool_total if pool_total else None
    for row in reviewers:
        row.comparison = compare_to_pool(row, pool_rate)
    return ReviewerPool(reviewers=reviewers, yes_rate=pool_rate, parts=dict(sorted(pool_parts.items())))


def compare_to_pool(row: ReviewerStats, pool_rate: float | None) -> str | None:
    """Name a reviewer who says Yes much less or much more often than the pool as a whole."""
    if pool_rate is None or row.results < MIN_RESULTS_TO_COMPARE:
        return None
    gap = row.yes_rate - pool_rate
    if gap < -LENIENCY_GAP:
        return "Much stricter than the pool"
    if gap > LENIENCY_GAP:
        return "Much more lenient than the pool"
    return None


def _open_loads(now: datetime) -> dict[int, tuple[int, int]]:
    """reviewer -> (open assignments, of which overdue)."""
    query = (
        select(Assignment.reviewer_id, func.count(), func.sum(case((Assignment.due_at < now, 1), else_=0)))
        .where(Assignment.state == AssignmentState.OPEN)
        .group_by(Assignment.reviewer_id)
    )
    return {reviewer: (int(count), int(late or 0)) for reviewer, count, late in db.session.execute(query)}


def _reviews_done() -> dict[int, int]:
    query = select(Review.reviewer_id, func.count()).where(*_regular_confirmed(Review)).group_by(Review.reviewer_id)
    return {reviewer: int(count) for reviewer, count in db.session.execute(query)}


def _days_to_decide() -> dict[int, list[float]]:
    query = (
        select(Review.reviewer_id, Assignment.assigned_at, Review.confirmed_at)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .where(*_regular_confirmed(Review))
    )
    days: dict[int, list[float]] = defaultdict(list)
    for reviewer, assigned_at, confirmed_at in db.session.execute(query):
        days[reviewer].append((confirmed_at - assigned_at).total_seconds() / 86_400)
    return days


def _part_rates() -> dict[int, dict[str, PartRate]]:
    query = (
        select(
            Review.reviewer_id,
            PartResult.part_key,
            func.count(),
            func.sum(case((PartResult.result == Result.YES.value, 1), else_=0)),
        )
        .join(PartResult, PartResult.review_id == Review.id)
        .where(*_regular_confirmed(Review), PartResult.result.is_not(None))
        .group_by(Review.reviewer_id, PartResult.part_key)
    )
    rates: dict[int, dict[str, PartRate]] = defaultdict(dict)
    for reviewer, part_key, total, yes in db.session.execute(query):
        rates[reviewer][part_key] = PartRate(yes=int(yes or 0), total=int(total))
    return rates


def _agreement_pairs() -> dict[int, list[tuple[str, str]]]:
    """reviewer -> (their result, the other reviewer's result) for every part both confirmed on one version,
    counted in SQL per combination, then expanded for agreement()."""
    mine, theirs = aliased(Review), aliased(Review)
    my_part, their_part = aliased(PartResult), aliased(PartResult)
    query = (
        select(mine.reviewer_id, my_part.result, their_part.result, func.count())
        .select_from(mine)
        .join(my_part, my_part.review_id == mine.id)
        .join(theirs, and_(theirs.version_id == mine.version_id, theirs.reviewer_id != mine.reviewer_id))
        .join(their_part, and_(their_part.review_id == theirs.id, their_part.part_key == my_part.part_key))
        .where(
            *_regular_confirmed(mine),
            *_regular_confirmed(theirs),
            my_part.result.is_not(None),
            their_part.result.is_not(None),
        )
        .group_by(mine.reviewer_id, my_part.result, their_part.result)
    )
    pairs: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for reviewer, my_result, their_result, count in db.session.execute(query):
        pairs[reviewer].extend([(my_result, their_result)] * int(count))
    return pairs
