"""The member x credential matrix: every member of the cohort with the latest state of each credential
(member_states, two queries, which the dashboard's milestones and figures use too), then filtered, sorted and cut
into pages here. A cohort is a few hundred people: one pass over them costs less than a query per filter, and the
order of names, organizations and roles still comes from the database."""

from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.accounts.models import Organization, User
from portal.cohorts import queries
from portal.cohorts.models import Cohort, Membership
from portal.extensions import db
from portal.submissions.models import STATE_LABELS, State

NOT_STARTED = "not_started"
CELL_STATES = [s.value for s in State] + [NOT_STARTED]
CELL_LABELS = {**{s.value: label for s, label in STATE_LABELS.items()}, NOT_STARTED: "Not started"}
SORTS = ("name", "organization", "role", "earned")
PER_PAGE = 50


@dataclass
class MatrixQuery:
    organization_id: int | None = None
    state: str | None = None  # one of CELL_STATES
    credential_id: int | None = None  # the credential `state` applies to; None: any
    sort: str = "name"
    descending: bool = False


@dataclass
class Cell:
    state: str
    submission_id: int | None = None
    number: int | None = None

    @property
    def label(self) -> str:
        return CELL_LABELS[self.state]


NOT_STARTED_CELL = Cell(NOT_STARTED)


@dataclass
class MatrixRow:
    user_id: int
    name: str
    email: str
    organization: str
    role: str
    earned: int
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Member:
    user_id: int
    name: str
    email: str
    organization_id: int | None
    organization: str  # "" without one
    role: str
    # The database's order of names, organizations and roles (dense ranks), so that sorting here follows its
    # collation exactly as an ORDER BY would.
    ranks: dict[str, int]
    cells: dict[int, Cell] = field(default_factory=dict)  # credential id -> its latest state; none: not started

    def cell(self, credential_id: int) -> Cell:
        return self.cells.get(credential_id, NOT_STARTED_CELL)

    @property
    def earned(self) -> int:
        return sum(1 for cell in self.cells.values() if cell.state == State.EARNED)


@dataclass
class MemberStates:
    """Every member of a cohort with the latest state of each credential they started."""

    members: list[Member] = field(default_factory=list)  # in (name, id) order


def member_states(cohort: Cohort) -> MemberStates:
    """Two queries: the members, and the latest state of each credential they started (queries.cells)."""
    organization = func.coalesce(Organization.name, "")
    members = db.session.execute(
        select(
            User.id, User.name, User.email, User.organization_id, organization, Membership.district_role,
            func.dense_rank().over(order_by=User.name), func.dense_rank().over(order_by=organization),
            func.dense_rank().over(order_by=Membership.district_role),
        )
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(Membership.cohort_id == cohort.id)
        .order_by(User.name, User.id)
    )
    states = MemberStates()
    for user_id, name, email, org_id, org, role, by_name, by_org, by_role in members:
        ranks = {"name": by_name, "organization": by_org, "role": by_role}
        states.members.append(Member(user_id, name, email, org_id, org, role, ranks))
    c = queries.cells([cohort.id])
    latest = select(c.c.user_id, c.c.credential_id, c.c.submission_id, c.c.number, c.c.state)
    by_id = {member.user_id: member for member in states.members}
    for user_id, credential_id, submission_id, number, state in db.session.execute(latest):
        by_id[user_id].cells[credential_id] = Cell(state, submission_id, number)
    return states


@dataclass
class Page:
    items: list[MatrixRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _is_match(member: Member, query: MatrixQuery, credential_count: int) -> bool:
    if query.organization_id and member.organization_id != query.organization_id:
        return False
    if query.state not in CELL_STATES:
        return True
    if query.state != NOT_STARTED:
        cells = [member.cell(query.credential_id)] if query.credential_id else member.cells.values()
        return any(cell.state == query.state for cell in cells)
    if query.credential_id:
        return query.credential_id not in member.cells
    return len(member.cells) < credential_count  # some credential not started


def _sort_key(sort: str, descending: bool):
    """The members arrive in name order and the sort is stable, so ties stay in name order; descending reverses
    the chosen column only."""
    sign = -1 if descending else 1
    if sort == "earned":
        return lambda member: sign * member.earned
    return lambda member: sign * member.ranks[sort]


def _matching(cohort: Cohort, query: MatrixQuery, states: MemberStates) -> list[Member]:
    found = [m for m in states.members if _is_match(m, query, len(cohort.credentials))]
    sort = query.sort if query.sort in SORTS else "name"
    if sort != "name" or query.descending:  # else already in order
        found.sort(key=_sort_key(sort, query.descending))
    return found


def _rows(cohort: Cohort, members: list[Member]) -> list[MatrixRow]:
    ids = [c.id for c in cohort.credentials]
    return [MatrixRow(m.user_id, m.name, m.email, m.organization, m.role, m.earned, [m.cell(i) for i in ids])
            for m in members]


def matrix_page(
    cohort: Cohort, query: MatrixQuery, page: int = 1, per_page: int = PER_PAGE, states: MemberStates | None = None
) -> Page:
    """No query of its own: member_states when states is None."""
    found = _matching(cohort, query, member_states(cohort) if states is None else states)
    page = max(1, min(page, -(-len(found) // per_page) or 1))
    start = (page - 1) * per_page
    return Page(_rows(cohort, found[start:start + per_page]), page, per_page, len(found))


def matrix_all(cohort: Cohort, query: MatrixQuery, states: MemberStates | None = None) -> list[MatrixRow]:
    """Every matching member, for the CSV export: member_states' two queries when states is None."""
    return _rows(cohort, _matching(cohort, query, member_states(cohort) if states is None else states))


def cohort_organizations(states: MemberStates) -> list[tuple[int, str]]:
    """The organizations of the members, for the filter, in the database's order of their names."""
    members = [m for m in states.members if m.organization_id is not None]
    members.sort(key=lambda m: m.ranks["organization"])
    return list(dict.fromkeys((m.organization_id, m.organization) for m in members))
