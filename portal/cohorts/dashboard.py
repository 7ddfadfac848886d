"""The figures of a cohort's dashboard: per credential, the funnel, milestones, timing, the parts most often
"Not yet" and the Open Badges credentials issued to the members.

A fixed number of queries, whatever the number of members: see summarize(). The figures are aggregated in SQL;
only the milestones are worked out here, from the members' states the matrix shows anyway."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from portal.badges.models import IssuedCredential, Kind
from portal.catalog.models import Credential
from portal.cohorts import queries
from portal.cohorts.charts import Segment, share, stacked
from portal.cohorts.matrix import MemberStates, member_states
from portal.cohorts.models import Cohort, Membership, Milestone, cohort_credentials
from portal.cohorts.progress import milestone_status
from portal.extensions import db
from portal.reviews.models import PartResult, Result, Review
from portal.submissions.models import Submission, Version

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
MILESTONE_STATUSES = ("met", "on_track", "behind", "not_started")
MILESTONE_LABELS = {"met": "Met", "on_track": "On track", "behind": "Behind", "not_started": "Not started"}
BEHIND_LIST_LIMIT = 20
TOP_PARTS = 10
# Loader options: the cohort with everything the dashboard shows of it (credentials with their requirements for
# the part titles, milestones with their credentials) in the one query that loads it.
COHORT_LOAD = (
    joinedload(Cohort.credentials).joinedload(Credential.requirement_versions),
    joinedload(Cohort.milestones).joinedload(Milestone.credentials),
)


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
    issued: "IssuedFigures"
    decided: int = 0  # decided versions behind median_days


@dataclass
class IssuedFigures:
    issued: int = 0  # credentials issued to members, revoked ones included
    revoked: int = 0

    @property
    def in_force(self) -> int:
        return self.issued - self.revoked


def summarize(cohort: Cohort, today: date, states: MemberStates | None = None) -> Summary:
    """Four queries (the totals, the states per credential, the parts, the credentials issued) plus member_states
    when states is None.
    The cohort is best loaded with COHORT_LOAD."""
    states = member_states(cohort) if states is None else states
    everyone = queries.group_figures(cohort.id, queries.members(cohort.id))
    total = everyone.get((queries.ALL, queries.ALL), queries.GroupFigures())
    return Summary(
        cohort=cohort,
        members=total.members,
        credentials=_credential_figures(cohort, total.members),
        first_attempt=Rate(total.first_earned, total.first_decided),
        median_days=total.median_days,
        milestones=milestone_figures(cohort, today, states),
        parts=part_figures(cohort),
        issued=issued_figures(cohort),
        decided=total.decided,
    )


def _credential_figures(cohort: Cohort, members: int) -> list[CredentialFigures]:
    rows = queries.credential_states(cohort.id)
    medians = {cid: days for cid, _, _, _, days in rows}
    figures = []
    for credential in cohort.credentials:
        mine = [(cat, revised, n) for cid, cat, revised, n, _ in rows if cid == credential.id]
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


def issued_figures(cohort: Cohort) -> IssuedFigures:
    """The Open Badges credentials issued to the members for the cohort's credentials, and the stack credential of
    its stack: one aggregate query."""
    revoked = func.coalesce(func.sum(case((IssuedCredential.revoked_at.is_not(None), 1), else_=0)), 0)
    its_credentials = select(cohort_credentials.c.credential_id).where(cohort_credentials.c.cohort_id == cohort.id)
    query = (
        select(func.count(), revoked)
        .select_from(IssuedCredential)
        .join(Membership, and_(Membership.user_id == IssuedCredential.earner_id, Membership.cohort_id == cohort.id))
        .where(or_(
            IssuedCredential.credential_id.in_(its_credentials),
            and_(IssuedCredential.kind == Kind.STACK, IssuedCredential.stack_id == cohort.stack_id),
        ))
    )
    issued, revoked_count = db.session.execute(query).one()
    return IssuedFigures(int(issued), int(revoked_count))


# ---------- milestones ----------

def milestone_figures(cohort: Cohort, today: date, states: MemberStates) -> list[MilestoneFigures]:
    """Each member's status on each milestone, by the rule of the educators' own page (milestone_status)."""
    figures = []
    for milestone in cohort.milestones:
        counts, behind = dict.fromkeys(MILESTONE_STATUSES, 0), []
        ids = [credential.id for credential in milestone.credentials]
        status_of: dict[tuple[str, ...], str] = {}  # members share a few combinations of states
        for member in states.members:  # in name order
            mine = tuple(member.cell(i).state for i in ids)
            if mine not in status_of:
                status_of[mine] = milestone_status(list(mine), milestone.due_on, today, cohort.starts_on)
            status = status_of[mine]
            counts[status] += 1
            if status == "behind" and len(behind) < BEHIND_LIST_LIMIT:
                behind.append((member.user_id, member.name))
        figures.append(MilestoneFigures(milestone, counts, behind, is_past=milestone.due_on < today))
    return figures


# ---------- parts most often "Not yet" ----------

def part_figures(cohort: Cohort, limit: int = TOP_PARTS) -> list[PartFigures]:
    """The parts with the most "Not yet" results in confirmed reviews of the members' versions."""
    not_yet = func.sum(case((PartResult.result == Result.NOT_YET.value, 1), else_=0))
    query = (
        queries.member_versions(cohort.id, queries.members(cohort.id))
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
