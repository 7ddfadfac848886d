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
from portal.catalog.models import Credential, Stack
from portal.csvfile import to_csv
from portal.extensions import db
from portal.reviews.agreement import Agreement, agreement, median
from portal.reviews.models import Assignment, AssignmentState, PartResult, Result, Review, ReviewerProfile
from portal.submissions.models import Submission, Version

# A reviewer whose Yes rate is this far from the pool's is pointed out to staff...
LENIENCY_GAP = 0.25
# ...once they have recorded enough part results for the comparison to mean something.
MIN_RESULTS_TO_COMPARE = 10


@dataclass(frozen=True)
class Minimums:
    """The smallest bases a figure is shown on (settings STATS_MIN_PAIRS, STATS_MIN_RESULTS, STATS_MIN_DECISIONS)."""

    pairs: int
    results: int
    decisions: int


def minimums(config) -> Minimums:
    return Minimums(config["STATS_MIN_PAIRS"], config["STATS_MIN_RESULTS"], config["STATS_MIN_DECISIONS"])


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
    by_part: dict[tuple[int, str], PartRate] = field(default_factory=dict)  # the same per (credential id, part key)
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
class PartColumn:
    """A column of the per-part table: a part by its title, under its credential."""

    credential_id: int
    credential_title: str
    number: int
    title: str
    key: str

    @property
    def id(self) -> tuple[int, str]:
        return self.credential_id, self.key


@dataclass(frozen=True)
class ReviewerPool:
    reviewers: list[ReviewerStats]
    yes_rate: float | None  # over every reviewer's confirmed results
    parts: dict[str, PartRate]  # part key -> the whole pool's Yes rate, in key order
    by_part: dict[tuple[int, str], PartRate] = field(default_factory=dict)  # (credential id, part key) -> the pool's
    columns: list[PartColumn] = field(default_factory=list)  # the judged parts, in stack and credential order

    @property
    def part_keys(self) -> list[str]:
        return list(self.parts)

    @property
    def column_groups(self) -> list[tuple[str, int]]:
        """(credential title, how many of its parts are columns), for a heading row above the parts' titles."""
        groups: list[tuple[str, int]] = []
        for column in self.columns:
            if groups and groups[-1][0] == column.credential_title:
                groups[-1] = (column.credential_title, groups[-1][1] + 1)
            else:
                groups.append((column.credential_title, 1))
        return groups


def reviewer_pool(*, now: datetime) -> ReviewerPool:
    """The reviewer table: everyone with the reviewer role or a profile, with their numbers. Eight queries."""
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
    by_part = _part_rates()
    parts = {reviewer: _by_key(rates) for reviewer, rates in by_part.items()}
    pairs = _agreement_pairs()
    for row in reviewers:
        row.load, row.overdue = loads.get(row.user.id, (0, 0))
        row.reviews_done = done.get(row.user.id, 0)
        row.median_days = median(days.get(row.user.id, []))
        row.parts = parts.get(row.user.id, {})
        row.by_part = by_part.get(row.user.id, {})
        row.agreement = agreement(pairs.get(row.user.id, []))
    pool_parts: dict[str, PartRate] = {}
    for rates in parts.values():
        _add_rates(pool_parts, rates.items())
    pool_total = sum(p.total for p in pool_parts.values())
    pool_rate = sum(p.yes for p in pool_parts.values()) / pool_total if pool_total else None
    for row in reviewers:
        row.comparison = compare_to_pool(row, pool_rate)
    pool_by_part: dict[tuple[int, str], PartRate] = {}
    for rates in by_part.values():
        _add_rates(pool_by_part, rates.items())
    return ReviewerPool(
        reviewers=reviewers, yes_rate=pool_rate, parts=dict(sorted(pool_parts.items())), by_part=pool_by_part,
        columns=part_columns(set(pool_by_part)),
    )


def _by_key(rates: dict[tuple[int, str], PartRate]) -> dict[str, PartRate]:
    """Per part key, over every credential with a part of that key."""
    return _add_rates({}, (((key, rate) for (_cid, key), rate in rates.items())))


def _add_rates(into: dict, items) -> dict:
    for key, rate in items:
        seen = into.get(key, PartRate(0, 0))
        into[key] = PartRate(yes=seen.yes + rate.yes, total=seen.total + rate.total)
    return into


def part_columns(judged: set[tuple[int, str]]) -> list[PartColumn]:
    """The judged parts by their current titles, credential by credential in stack order (a part no longer in
    its credential keeps its key as its title, so no result is hidden)."""
    credentials = db.session.scalars(
        select(Credential).join(Stack).where(Credential.id.in_({cid for cid, _ in judged}))
        .order_by(Stack.title, Credential.position)
    ).all()
    columns = []
    for credential in credentials:
        parts = credential.requirements.parts
        known = {part.key for part in parts}
        for number, part in enumerate(parts, start=1):
            if (credential.id, part.key) in judged:
                columns.append(PartColumn(credential.id, credential.title, number, part.title, part.key))
        for cid, key in sorted(judged):
            if cid == credential.id and key not in known:
                columns.append(PartColumn(credential.id, credential.title, 0, key, key))
    return columns


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


def _part_rates() -> dict[int, dict[tuple[int, str], PartRate]]:
    """reviewer -> (credential id, part key) -> Yes among their confirmed results: part keys repeat across
    credentials ("overview"), so a part is named by both."""
    query = (
        select(
            Review.reviewer_id,
            Submission.credential_id,
            PartResult.part_key,
            func.count(),
            func.sum(case((PartResult.result == Result.YES.value, 1), else_=0)),
        )
        .join(PartResult, PartResult.review_id == Review.id)
        .join(Version, Version.id == Review.version_id)
        .join(Submission, Submission.id == Version.submission_id)
        .where(*_regular_confirmed(Review), PartResult.result.is_not(None))
        .group_by(Review.reviewer_id, Submission.credential_id, PartResult.part_key)
    )
    rates: dict[int, dict[tuple[int, str], PartRate]] = defaultdict(dict)
    for reviewer, credential_id, part_key, total, yes in db.session.execute(query):
        rates[reviewer][credential_id, part_key] = PartRate(yes=int(yes or 0), total=int(total))
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


TOO_FEW = "too few to tell"
POOL_CSV_HEADER = [
    "Name", "Email", "Organization", "Status", "Capacity", "Open", "Overdue", "Qualified for", "Reviews done",
    "Median days to decide", "Results", "Yes rate (%)", "Compared with the pool", "Pairs", "Agreement (%)",
    "Cohen's kappa", "Gwet's AC1",
]


def pool_csv(pool: ReviewerPool, minimum: Minimums) -> str:
    """The reviewer table as CSV: each figure with its base beside it, "too few to tell" below the minimums."""
    def figure(value, base: int, least: int, fmt: str) -> str:
        if base < least:
            return TOO_FEW
        return "" if value is None else fmt.format(value)

    def line(row: ReviewerStats) -> list:
        profile, a = row.profile, row.agreement
        status = "No profile yet" if profile is None else ("Active" if profile.is_active else "Paused")
        return [
            row.user.name, row.user.email, row.user.organization.name if row.user.organization else "", status,
            profile.capacity if profile else "", row.load, row.overdue,
            "; ".join(s.title for s in profile.stacks) if profile else "", row.reviews_done,
            figure(row.median_days, row.reviews_done, minimum.decisions, "{:.1f}"), row.results,
            figure(None if row.yes_rate is None else row.yes_rate * 100, row.results, minimum.results, "{:.0f}"),
            row.comparison or "", a.pairs,
            figure(None if a.percent is None else a.percent * 100, a.pairs, minimum.pairs, "{:.0f}"),
            figure(a.kappa, a.pairs, minimum.pairs, "{:.2f}"), figure(a.ac1, a.pairs, minimum.pairs, "{:.2f}"),
        ]

    return to_csv(POOL_CSV_HEADER, map(line, pool.reviewers))
