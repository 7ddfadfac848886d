"""The reviewer pool's numbers for staff: each reviewer's load, pace, Yes rate per part and agreement with the
other reviewer, and how they compare with the pool as a whole.

Every function issues a fixed number of queries whatever the number of reviewers: per-reviewer facts are
aggregated in SQL (GROUP BY). The one exception to "in SQL" is the median time to decide, computed in Python
from a single query that returns one (reviewer, days) row per confirmed review: portable SQL (SQLite and
PostgreSQL alike) has no median aggregate.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from portal.accounts.models import User
from portal.extensions import db
from portal.reviews.agreement import Agreement, agreement, median
from portal.reviews.models import Assignment, AssignmentState, PartResult, Result, Review, ReviewerProfile

# A reviewer whose Yes rate is this far from the pool's is pointed out to staff...
LENIENCY_GAP = 0.25
# ...once they have recorded enough part results for the comparison to mean something.
MIN_RESULTS_TO_COMPARE = 10


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
    loads = open_loads(now)
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


def open_loads(now: datetime) -> dict[int, tuple[int, int]]:
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


def _regular_confirmed(review) -> list:
    """Conditions for a confirmed review by a reviewer (not a staff adjudication)."""
    return [review.confirmed_at.is_not(None), review.is_adjudication.is_(False)]
