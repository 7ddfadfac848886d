"""The member x credential matrix: filtered and sorted in SQL, one page of members per request, their cells from
member_states (which the dashboard's milestones use too)."""

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

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
class MemberStates:
    """Every member of a cohort, and the latest state of each credential they started."""

    names: dict[int, str] = field(default_factory=dict)  # user id -> name, in (name, id) order
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)  # (user id, credential id); none: not started

    def cell(self, user_id: int, credential_id: int) -> Cell:
        return self.cells.get((user_id, credential_id)) or Cell(NOT_STARTED)


def member_states(cohort: Cohort) -> MemberStates:
    """One query: a row per (member, credential started), or one row for a member who started none."""
    c = queries.cells([cohort.id])
    rows = db.session.execute(
        select(User.id, User.name, c.c.credential_id, c.c.state, c.c.submission_id, c.c.number)
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .outerjoin(c, c.c.user_id == Membership.user_id)
        .where(Membership.cohort_id == cohort.id)
        .order_by(User.name, User.id)
    )
    states = MemberStates()
    for user_id, name, credential_id, state, submission_id, number in rows:
        states.names[user_id] = name
        if credential_id is not None:
            states.cells[(user_id, credential_id)] = Cell(state, submission_id, number)
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


def _members(cohort: Cohort, query: MatrixQuery):
    c = queries.cells([cohort.id])
    earned = (
        select(c.c.user_id, func.count().label("earned"))
        .where(c.c.state == State.EARNED.value)
        .group_by(c.c.user_id)
        .subquery("earned")
    )
    earned_count = func.coalesce(earned.c.earned, 0)
    org = func.coalesce(Organization.name, "")
    statement = (
        select(User.id, User.name, User.email, org, Membership.district_role, earned_count)
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .outerjoin(earned, earned.c.user_id == Membership.user_id)
        .where(Membership.cohort_id == cohort.id)
    )
    if query.organization_id:
        statement = statement.where(User.organization_id == query.organization_id)
    if query.state in CELL_STATES:
        statement = statement.where(_state_filter(cohort, c, query))
    keys = {"name": [User.name], "organization": [org, User.name], "role": [Membership.district_role, User.name],
            "earned": [earned_count, User.name]}[query.sort if query.sort in SORTS else "name"]
    # Descending reverses the chosen column only; ties stay in name order.
    order = [keys[0].desc(), *keys[1:]] if query.descending else keys
    return statement.order_by(*order, User.id)


def _state_filter(cohort: Cohort, c, query: MatrixQuery):
    on_credential = [c.c.credential_id == query.credential_id] if query.credential_id else []
    if query.state != NOT_STARTED:
        return Membership.user_id.in_(select(c.c.user_id).where(c.c.state == query.state, *on_credential))
    if query.credential_id:
        return Membership.user_id.not_in(select(c.c.user_id).where(*on_credential))
    complete = select(c.c.user_id).group_by(c.c.user_id).having(func.count() >= len(cohort.credentials))
    return Membership.user_id.not_in(complete)


def _with_cells(cohort: Cohort, members, states: MemberStates | None) -> list[MatrixRow]:
    """MatrixRows for members, with their cells (from member_states when states is None and there are rows)."""
    rows = [MatrixRow(*member) for member in members]
    if rows:
        states = member_states(cohort) if states is None else states
        for row in rows:
            row.cells = [states.cell(row.user_id, credential.id) for credential in cohort.credentials]
    return rows


def matrix_page(
    cohort: Cohort, query: MatrixQuery, page: int = 1, per_page: int = PER_PAGE, states: MemberStates | None = None
) -> Page:
    """Two queries, the count and the page of members, plus member_states when states is None."""
    statement = _members(cohort, query)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    page = max(1, min(page, -(-total // per_page) or 1))
    members = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(_with_cells(cohort, members, states), page, per_page, total)


def matrix_all(cohort: Cohort, query: MatrixQuery) -> list[MatrixRow]:
    """Every matching member, for the CSV export: two queries."""
    return _with_cells(cohort, db.session.execute(_members(cohort, query)).all(), None)


def cohort_organizations(cohort: Cohort) -> list[tuple[int, str]]:
    """The organizations of the members, for the filter: one query."""
    query = (
        select(Organization.id, Organization.name).distinct()
        .join(User, User.organization_id == Organization.id)
        .join(Membership, and_(Membership.user_id == User.id, Membership.cohort_id == cohort.id))
        .order_by(Organization.name)
    )
    return [tuple(row) for row in db.session.execute(query)]
