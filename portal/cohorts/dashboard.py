"""The figures of a cohort's dashboard: per credential, the funnel, milestones, timing and the parts most often
"Not yet".

Every function issues a fixed number of aggregate queries, whatever the number of members."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select

from portal.accounts.models import User
from portal.catalog.models import Credential
from portal.cohorts import queries
from portal.cohorts.charts import Segment, share, stacked
from portal.cohorts.models import Cohort, Membership, Milestone, milestone_credentials
from portal.extensions import db
from portal.reviews.models import PartResult, Result, Review
from portal.submissions.models import State, Submission, Version

CATEGORIES = ("earned", "in_review", "not_yet", "draft", "not_started")
CATEGORY_LABELS = {
    "earned": "Earned", "in_review": "In review", "not_yet": "Not yet", "draft": "Draft", "not_started": "Not started",
}
FUNNEL_STAGES = ("members", "started", "submitted", "decided", "earned")
FUNNEL_LABELS = {
    "members": "Members", "started": "Started", "submitted": "Submitted at least once",
    "decided": "Decided at least once", "earned": "Earned",
}
FUNNEL = [(stage, FUNNEL_LABELS[stage]) for stage in FUNNEL_STAGES]
MILESTONE_STATUSES = ("met", "on_track", "behind")
MILESTONE_LABELS = {"met": "Met", "on_track": "On track", "behind": "Behind"}
BEHIND_LIST_LIMIT = 20
TOP_PARTS = 10


@dataclass
class Rate:
    hits: int = 0
    total: int = 0

    @property
    def percent(self) -> float | None:
        return round(100 * self.hits / self.total, 1) if self.total else None


@dataclass
class CredentialFigures:
    credential: Credential
    counts: dict[str, int]  # category -> members; the five add up to the cohort's members
    funnel: dict[str, int]  # stage -> members
    median_days: float | None

    @property
    def segments(self) -> list[Segment]:
        return stacked([(c, CATEGORY_LABELS[c], self.counts[c]) for c in CATEGORIES], self.funnel["members"])

    def funnel_width(self, stage: str) -> float:
        return share(self.funnel[stage], self.funnel["members"])


@dataclass
class MilestoneFigures:
    milestone: Milestone
    counts: dict[str, int]
    behind: list[tuple[int, str]]  # (user id, name), alphabetical, at most BEHIND_LIST_LIMIT
    is_past: bool

    @property
    def behind_not_listed(self) -> int:
        return self.counts["behind"] - len(self.behind)

    @property
    def segments(self) -> list[Segment]:
        parts = [(s, MILESTONE_LABELS[s], self.counts[s]) for s in MILESTONE_STATUSES]
        return stacked(parts, sum(self.counts.values()))


@dataclass
class PartFigures:
    credential: Credential
    part_key: str
    part_title: str
    not_yet: int
    judged: int

    @property
    def rate(self) -> Rate:
        return Rate(self.not_yet, self.judged)


@dataclass
class Summary:
    cohort: Cohort
    members: int
    credentials: list[CredentialFigures]
    first_attempt: Rate
    median_days: float | None
    milestones: list[MilestoneFigures]
    parts: list[PartFigures]


def summarize(cohort: Cohort, today: date) -> Summary:
    groups = queries.everyone(cohort.id)
    members = queries.member_counts(groups).get("all", 0)
    earned, decided = queries.first_attempts(cohort.id, groups).get("all", (0, 0))
    return Summary(
        cohort=cohort,
        members=members,
        credentials=_credential_figures(cohort, groups, members),
        first_attempt=Rate(earned, decided),
        median_days=queries.median_days(cohort.id, groups).get("all"),
        milestones=milestone_figures(cohort, today),
        parts=part_figures(cohort),
    )


def _credential_figures(cohort: Cohort, groups, members: int) -> list[CredentialFigures]:
    rows = queries.state_counts(cohort.id, groups)
    medians = queries.median_days(cohort.id, groups, by_credential=True)
    figures = []
    for credential in cohort.credentials:
        mine = [(cat, revised, n) for _, cid, cat, revised, n in rows if cid == credential.id]
        counts = {cat: sum(n for c, _, n in mine if c == cat) for cat in CATEGORIES}
        counts["not_started"] = members - sum(counts[c] for c in CATEGORIES if c != "not_started")
        figures.append(CredentialFigures(credential, counts, _funnel(mine, members), medians.get(credential.id)))
    return figures


def _funnel(rows: list[tuple[str, bool, int]], members: int) -> dict[str, int]:
    """From (category, revised, count): a revised version exists only after an earlier one was decided."""
    def total(test) -> int:
        return sum(n for cat, revised, n in rows if test(cat, revised))

    return {
        "members": members,
        "started": total(lambda cat, revised: cat != "not_started" or revised),
        "submitted": total(lambda cat, revised: cat in ("in_review", "earned", "not_yet") or revised),
        "decided": total(lambda cat, revised: cat in ("earned", "not_yet") or revised),
        "earned": total(lambda cat, revised: cat == "earned"),
    }


# ---------- milestones ----------

def _milestone_status(cohort: Cohort, today: date):
    """A subquery of (milestone_id, user_id, name, status). Met: every credential of the milestone earned.
    Before the target date, on track: every one of them at least started. Otherwise behind."""
    c = queries.cells([cohort.id])
    earned = func.sum(case((c.c.state == State.EARNED.value, 1), else_=0))
    started = func.sum(case((and_(c.c.state.is_not(None), c.c.state != State.WITHDRAWN.value), 1), else_=0))
    per_member = (
        select(Milestone.id.label("milestone_id"), Membership.user_id, Milestone.due_on,
               func.count().label("required"), earned.label("earned"), started.label("started"))
        .select_from(Membership)
        .join(Milestone, Milestone.cohort_id == Membership.cohort_id)
        .join(milestone_credentials, milestone_credentials.c.milestone_id == Milestone.id)
        .outerjoin(c, and_(
            c.c.user_id == Membership.user_id, c.c.credential_id == milestone_credentials.c.credential_id
        ))
        .where(Membership.cohort_id == cohort.id)
        .group_by(Milestone.id, Membership.user_id, Milestone.due_on)
        .subquery("per_member")
    )
    status = case(
        (per_member.c.earned == per_member.c.required, "met"),
        (and_(per_member.c.due_on >= today, per_member.c.started == per_member.c.required), "on_track"),
        else_="behind",
    )
    return select(per_member.c.milestone_id, per_member.c.user_id, status.label("status")).subquery("statuses")


def milestone_figures(cohort: Cohort, today: date) -> list[MilestoneFigures]:
    if not cohort.milestones:
        return []
    statuses = _milestone_status(cohort, today)
    counts = db.session.execute(
        select(statuses.c.milestone_id, statuses.c.status, func.count()).group_by(statuses.c.milestone_id,
                                                                                    statuses.c.status)
    ).all()
    behind = _behind_lists(statuses)
    figures = []
    for milestone in cohort.milestones:
        mine = {status: n for mid, status, n in counts if mid == milestone.id}
        figures.append(MilestoneFigures(
            milestone, {s: mine.get(s, 0) for s in MILESTONE_STATUSES}, behind.get(milestone.id, []),
            is_past=milestone.due_on < today,
        ))
    return figures


def _behind_lists(statuses) -> dict[int, list[tuple[int, str]]]:
    ranked = (
        select(statuses.c.milestone_id, User.id, User.name,
               func.row_number().over(partition_by=statuses.c.milestone_id, order_by=(User.name, User.id)).label("n"))
        .join(User, User.id == statuses.c.user_id)
        .where(statuses.c.status == "behind")
        .subquery("ranked")
    )
    query = select(ranked.c.milestone_id, ranked.c.id, ranked.c.name).where(ranked.c.n <= BEHIND_LIST_LIMIT)
    lists: dict[int, list] = {}
    for mid, user_id, name in db.session.execute(query.order_by(ranked.c.milestone_id, ranked.c.n)):
        lists.setdefault(mid, []).append((user_id, name))
    return lists


# ---------- parts most often "Not yet" ----------

def part_figures(cohort: Cohort, limit: int = TOP_PARTS) -> list[PartFigures]:
    """The parts with the most "Not yet" results in confirmed reviews of the members' versions."""
    not_yet = func.sum(case((PartResult.result == Result.NOT_YET.value, 1), else_=0))
    query = (
        queries.member_versions(cohort.id, queries.everyone(cohort.id))
        .add_columns(Submission.credential_id, PartResult.part_key, not_yet.label("not_yet"), func.count())
        .join(Review, Review.version_id == Version.id)
        .join(PartResult, PartResult.review_id == Review.id)
        .where(Review.confirmed_at.is_not(None), PartResult.result.is_not(None))
        .group_by(Submission.credential_id, PartResult.part_key)
        .having(not_yet > 0)
        .order_by(not_yet.desc(), Submission.credential_id, PartResult.part_key)
        .limit(limit)
    )
    credentials = {c.id: c for c in cohort.credentials}
    return [
        PartFigures(credentials[cid], key, _part_title(credentials[cid], key), int(n), judged)
        for cid, key, n, judged in db.session.execute(query)
    ]


def _part_title(credential: Credential, key: str) -> str:
    for number, part in enumerate(credential.requirements.parts, start=1):
        if part.key == key:
            return f"Part {number}. {part.title}"
    return key
