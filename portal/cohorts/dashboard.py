"""The figures of a cohort's dashboard: per credential, the funnel, milestones, timing, the parts most often
"Not yet" and the Open Badges credentials issued to the members.

figures() works them out in three queries, whatever the number of members, as plain values (ids and numbers,
no ORM objects), kept per cohort and day until a change of the cohort's data (freshness.py): by cached_figures()
for the exports, and as the rendered HTML by the dashboard's view. summary() puts them beside the cohort's
credentials and milestones, loaded with the cohort."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import joinedload

from portal.accounts.models import Organization, User
from portal.badges.models import IssuedCredential, Kind
from portal.catalog.models import Credential
from portal.cohorts import queries
from portal.cohorts.charts import Segment, share, stacked
from portal.cohorts.freshness import FIGURES
from portal.cohorts.matrix import NOT_STARTED
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
# Loader options: the cohort with everything the figures show of it (credentials with their requirements for the
# part titles, milestones with their credentials), in the one query that loads it.
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


@dataclass(frozen=True)
class Figures:
    """A cohort's figures on one day as plain values, by credential and milestone id: what the cache keeps."""

    totals: queries.GroupFigures  # members, first attempts, median days over every credential
    standing: list[tuple[int, str, bool, int, float | None]]  # queries.credential_states
    milestones: dict[int, tuple[dict[str, int], list[tuple[int, str]]]]  # id -> (counts, behind)
    parts: list[tuple[int, str, int, int]]  # (credential id, part key, not yet, judged)
    issued: IssuedFigures
    organizations: list[tuple[int, str]]  # (id, name) of the members' organizations, in name order
    # (user id, name, organization name or "", role) of every member, in the member table's first order (name, id)
    roster: tuple[tuple[int, str, str, str], ...] = ()


def cached_figures(cohort: Cohort, today: date) -> Figures:
    """figures(), computed again after any change of the cohort's data (freshness.py) and every day."""
    return FIGURES.get((cohort.id, today), lambda: figures(cohort, today), scope=cohort.id)


def load_for_figures(cohort_id: int) -> Cohort | None:
    """The cohort (one query) with everything the figures show of it: COHORT_LOAD. None: there is none."""
    return db.session.scalars(
        select(Cohort).where(Cohort.id == cohort_id).options(*COHORT_LOAD).execution_options(populate_existing=True)
    ).unique().one_or_none()


def figures(cohort: Cohort, today: date) -> Figures:
    """Three queries: the totals with the credentials issued and the states per credential, the parts most
    often "Not yet", and every member's states for the milestones and the organizations."""
    totals, issued, standing = _totals_and_standing(cohort)
    milestones, organizations, roster = _milestones_and_organizations(cohort, today)
    return Figures(totals, standing, milestones, _parts(cohort.id), issued, organizations, roster)


def summarize(cohort: Cohort, today: date) -> Summary:
    """The figures worked out now (not cached). The cohort is best loaded with COHORT_LOAD."""
    return summary(cohort, figures(cohort, today), today)


def summary(cohort: Cohort, found: Figures, today: date) -> Summary:
    """The figures beside the cohort's credentials and milestones, as the page and the exports show them."""
    credentials = {c.id: c for c in cohort.credentials}
    empty = (dict.fromkeys(MILESTONE_STATUSES, 0), [])
    return Summary(
        cohort=cohort,
        members=found.totals.members,
        credentials=_credential_figures(cohort, found.standing, found.totals.members),
        first_attempt=Rate(found.totals.first_earned, found.totals.first_decided),
        median_days=found.totals.median_days,
        milestones=[
            MilestoneFigures(m, *found.milestones.get(m.id, empty), is_past=m.due_on < today) for m in cohort.milestones
        ],
        parts=[
            PartFigures(credentials[cid], key, _part_title(credentials[cid], key), not_yet, judged)
            for cid, key, not_yet, judged in found.parts if cid in credentials
        ],
        issued=found.issued,
        decided=found.totals.decided,
    )


def _credential_figures(cohort: Cohort, rows, members: int) -> list[CredentialFigures]:
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


# ---------- totals and credentials issued ----------

def _issued_query(cohort: Cohort):
    """The Open Badges credentials issued to the members for the cohort's credentials, and the stack credential of
    its stack: (issued, revoked)."""
    revoked = func.coalesce(func.sum(case((IssuedCredential.revoked_at.is_not(None), 1), else_=0)), 0)
    its_credentials = select(cohort_credentials.c.credential_id).where(cohort_credentials.c.cohort_id == cohort.id)
    return (
        select(func.count(), revoked)
        .select_from(IssuedCredential)
        .join(Membership, and_(Membership.user_id == IssuedCredential.earner_id, Membership.cohort_id == cohort.id))
        .where(or_(
            IssuedCredential.credential_id.in_(its_credentials),
            and_(IssuedCredential.kind == Kind.STACK, IssuedCredential.stack_id == cohort.stack_id),
        ))
    )


def issued_figures(cohort: Cohort) -> IssuedFigures:
    issued, revoked = db.session.execute(_issued_query(cohort)).one()
    return IssuedFigures(int(issued), int(revoked))


def _totals_and_standing(cohort: Cohort) -> tuple[queries.GroupFigures, IssuedFigures, list]:
    """(totals, issued, standing): the members and the decisions over every credential, the credentials issued,
    and the rows of queries.credential_states, in one query: the one row of totals joined to each row of states
    (or to none, when nobody started anything)."""
    decided = queries.decided_by(queries.durations(cohort.id, queries.members(cohort.id)))
    members = select(func.count()).where(Membership.cohort_id == cohort.id).scalar_subquery()
    issued = _issued_query(cohort).subquery("issued")
    issued_n, revoked_n = (select(column).scalar_subquery() for column in issued.c)
    overall = select(
        members.label("members_n"), decided.c.first_earned, decided.c.first_decided, decided.c.days,
        decided.c.decided, issued_n.label("issued_n"), revoked_n.label("revoked_n"),
    ).select_from(decided).subquery("overall")
    standing = queries.credential_states(cohort.id).subquery("standing")
    rows = db.session.execute(select(overall, standing).select_from(overall).outerjoin(standing, true())).all()
    n, first_earned, first_decided, days, decided_n, issued_count, revoked = rows[0][:7]
    totals = queries.GroupFigures(
        int(n), int(first_earned or 0), int(first_decided or 0), None if days is None else float(days),
        int(decided_n or 0),
    )
    states = [
        (cid, cat, bool(revised), int(count), None if median is None else float(median))
        for *_, cid, cat, revised, count, median in rows if cid is not None
    ]
    return totals, IssuedFigures(int(issued_count), int(revoked)), states


# ---------- milestones and the members' organizations ----------

def _milestones_and_organizations(cohort: Cohort, today: date):
    """Each member's status on each milestone, by the rule of the educators' own page (milestone_status), and
    the organizations of the members in the database's order of their names, and the members in the order of
    their names (the member table's first order): one query of every member's states."""
    c = queries.cells([cohort.id])
    rows = db.session.execute(
        select(User.id, User.name, Organization.id, Organization.name,
               func.dense_rank().over(order_by=Organization.name), c.c.credential_id, c.c.state,
               Membership.district_role)
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .outerjoin(c, c.c.user_id == Membership.user_id)
        .where(Membership.cohort_id == cohort.id)
        .order_by(User.name, User.id)
    )
    people: dict[int, tuple[str, dict[int, str]]] = {}  # in name order
    roster: dict[int, tuple[int, str, str, str]] = {}
    organizations: dict[tuple[int, str], int] = {}
    for user_id, name, org_id, org, rank, credential_id, state, role in rows:
        people.setdefault(user_id, (name, {}))[1][credential_id] = state
        roster.setdefault(user_id, (user_id, name, org or "", role))
        if org_id is not None:
            organizations[(org_id, org)] = rank
    milestones = {m.id: _milestone(cohort, m, today, people) for m in cohort.milestones}
    return milestones, sorted(organizations, key=organizations.get), tuple(roster.values())


def _milestone(cohort: Cohort, milestone: Milestone, today: date, people) -> tuple[dict[str, int], list]:
    counts, behind = dict.fromkeys(MILESTONE_STATUSES, 0), []
    ids = [credential.id for credential in milestone.credentials]
    status_of: dict[tuple[str, ...], str] = {}  # members share a few combinations of states
    for user_id, (name, states) in people.items():
        mine = tuple(states.get(i, NOT_STARTED) for i in ids)
        if mine not in status_of:
            status_of[mine] = milestone_status(list(mine), milestone.due_on, today, cohort.starts_on)
        status = status_of[mine]
        counts[status] += 1
        if status == "behind" and len(behind) < BEHIND_LIST_LIMIT:
            behind.append((user_id, name))
    return counts, behind


# ---------- parts most often "Not yet" ----------

def _parts(cohort_id: int, limit: int = TOP_PARTS) -> list[tuple[int, str, int, int]]:
    """(credential id, part key, not yet, judged): the parts with the most "Not yet" results in confirmed
    reviews of the members' versions."""
    not_yet = func.sum(case((PartResult.result == Result.NOT_YET.value, 1), else_=0))
    query = (
        queries.member_versions(cohort_id, queries.members(cohort_id))
        .add_columns(Submission.credential_id, PartResult.part_key, not_yet.label("not_yet"), func.count())
        .join(Review, Review.version_id == Version.id)
        .join(PartResult, PartResult.review_id == Review.id)
        .where(Review.confirmed_at.is_not(None), PartResult.result.is_not(None))
        .group_by(Submission.credential_id, PartResult.part_key)
        .having(not_yet > 0)
        .order_by(not_yet.desc(), Submission.credential_id, PartResult.part_key)
        .limit(limit)
    )
    return [(cid, key, int(n), judged) for cid, key, n, judged in db.session.execute(query)]


def _part_title(credential: Credential, key: str) -> str:
    for number, part in enumerate(credential.requirements.parts, start=1):
        if part.key == key:
            return f"Part {number}. {part.title}"
    return key
