"""The member x credential matrix: the members of one page, in the page's order, each with the latest state of
every credential of the cohort, read in one query whatever the cohort's size. Filtering, sorting, counting and
cutting into pages all happen in SQL over the cohort's members, so a request reads only the rows it shows."""

from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup, escape
from sqlalchemy import Integer, and_, bindparam, case, func, literal, select
from sqlalchemy.sql import Select

from portal.accounts.models import Organization, User
from portal.cohorts import queries
from portal.cohorts.models import Cohort, Membership
from portal.extensions import db
from portal.submissions.models import STATE_LABELS, State

NOT_STARTED = "not_started"
CELL_STATES = [s.value for s in State] + [NOT_STARTED]
CELL_LABELS = {**{s.value: label for s, label in STATE_LABELS.items()}, NOT_STARTED: "Not started"}
# One table cell per state, written once: a page shows hundreds of them.
CELL_HTML = {
    state: Markup('<td class="cell"><span class="state state-{}">{}</span></td>').format(state, label)
    for state, label in CELL_LABELS.items()
}
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


@dataclass(frozen=True)
class _Shape:
    """What the SQL of a matrix query depends on; the values themselves (cohort, organization, state, page) are
    parameters, so that each shape's statement is built once per process (building one is costlier than
    running it)."""

    credentials: int  # how many the cohort has
    state: str | None  # None, NOT_STARTED, or "state" (a state, given as a parameter)
    by_credential: bool
    by_organization: bool
    sort: str
    descending: bool
    paged: bool

    @classmethod
    def of(cls, credentials: int, query: MatrixQuery, paged: bool) -> "_Shape":
        state = query.state if query.state in (None, NOT_STARTED) else "state"
        return cls(credentials, state, bool(query.credential_id), bool(query.organization_id),
                   query.sort if query.sort in SORTS else "name", query.descending, paged)

    @property
    def needs_everyones_states(self) -> bool:
        return self.state is not None or self.sort == "earned"


def _per_member(cells, shape: _Shape):
    """Per member who started anything, in one pass over the cells: the credentials earned, the cells the state
    filter counts (of its credential, or of any), and the state and version number of each credential of the
    cohort in order, one column each (state_<n>, number_<n>; credential_<n> is the id of the n-th)."""
    of_credential = cells.c.credential_id == bindparam("credential_id") if shape.by_credential else literal(True)
    counted = {
        None: literal(False), NOT_STARTED: of_credential,  # started ones: "not started" is fewer than there are
        "state": and_(of_credential, cells.c.state == bindparam("state")),
    }[shape.state]
    columns = []
    for n in range(shape.credentials):
        this = cells.c.credential_id == bindparam(f"credential_{n}")
        columns += [func.max(case((this, cells.c.state))).label(f"state_{n}"),
                    func.max(case((this, cells.c.number))).label(f"number_{n}")]
    return (
        select(
            cells.c.user_id,
            func.sum(case((cells.c.state == State.EARNED.value, 1), else_=0)).label("earned"),
            func.sum(case((counted, 1), else_=0)).label("matching"),
            *columns,
        )
        .group_by(cells.c.user_id)
        .subquery("per_member")
    )


def _order(shape: _Shape, organization, earned) -> list:
    """The chosen column, then name and id: ties stay in name order whichever way the column goes."""
    column = {"organization": organization, "role": Membership.district_role, "earned": earned}.get(shape.sort)
    if column is None:
        return [User.name.desc() if shape.descending else User.name, User.id]
    return [column.desc() if shape.descending else column, User.name, User.id]


def _matching(shape: _Shape, per_member) -> Select:
    """The members the query matches, in its order, each numbered (n) and counted (total); with their cells
    when per_member is given (the filter or the order needs them)."""
    organization = func.coalesce(Organization.name, "")
    earned = func.coalesce(per_member.c.earned, 0) if per_member is not None else None
    statement = (
        select(
            User.id.label("user_id"), User.name, User.email, organization.label("organization"),
            Membership.district_role.label("role"),
            func.row_number().over(order_by=_order(shape, organization, earned)).label("n"),
            func.count().over().label("total"),
        )
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(Membership.cohort_id == bindparam("cohort_id"))
    )
    if shape.by_organization:
        statement = statement.where(User.organization_id == bindparam("organization_id"))
    if per_member is None:
        return statement
    statement = statement.outerjoin(per_member, per_member.c.user_id == Membership.user_id).add_columns(
        *[c for c in per_member.c if c.name != "user_id"]
    )
    matching = func.coalesce(per_member.c.matching, 0)
    if shape.state == NOT_STARTED:
        return statement.where(matching < (1 if shape.by_credential else shape.credentials))
    return statement.where(matching > 0) if shape.state else statement


@lru_cache(maxsize=256)
def _statement(shape: _Shape) -> Select:
    """The rows of one page (every row when not paged) with their cells, in one query. A page past the last
    shows the last: the clamp is worked out in SQL (first), so no query counts the members first. Unless the
    filter or the order needs every member's states, only the shown members' are worked out."""
    cohort = bindparam("cohort_id")
    if shape.needs_everyones_states:
        found = _matching(shape, _per_member(queries.cells([cohort]), shape)).subquery("found")
    else:
        found = _matching(shape, None).subquery("found")
    if shape.paged:
        wanted, per_page = bindparam("wanted", type_=Integer), bindparam("per_page", type_=Integer)
        first = case((found.c.total > wanted, wanted), else_=(found.c.total - 1) // per_page * per_page)
        shown = and_(found.c.n > first, found.c.n <= first + per_page)
    else:
        first, shown = literal(0), found.c.n > 0
    member = ("user_id", "name", "email", "organization", "role")
    cells = [f"{kind}_{n}" for n in range(shape.credentials) for kind in ("state", "number")]
    if shape.needs_everyones_states:
        return (
            select(*[found.c[c] for c in member], func.coalesce(found.c.earned, 0), found.c.total, first,
                   *[found.c[c] for c in cells])
            .where(shown).order_by(found.c.n)
        )
    rows = select(found, first.label("first")).where(shown).cte("shown")
    per_member = _per_member(queries.latest_states([cohort], select(rows.c.user_id)).subquery("cells"), shape)
    return (
        select(*[rows.c[c] for c in member], func.coalesce(per_member.c.earned, 0), rows.c.total, rows.c.first,
               *[per_member.c[c] for c in cells])
        .outerjoin(per_member, per_member.c.user_id == rows.c.user_id)
        .order_by(rows.c.n)
    )


def _fetch(cohort_id: int, credential_ids, query: MatrixQuery, page: int | None,
           per_page: int) -> tuple[list, int, int]:
    """(rows as the database gives them, total, first): each row is the member's id, name, email, organization,
    role, credentials earned, total, first, then the state and version number of each credential in order."""
    parameters = {
        "cohort_id": cohort_id, "organization_id": query.organization_id, "credential_id": query.credential_id,
        "state": query.state, "wanted": (max(page or 1, 1) - 1) * per_page, "per_page": per_page,
        **{f"credential_{n}": i for n, i in enumerate(credential_ids)},
    }
    statement = _statement(_Shape.of(len(credential_ids), query, page is not None))
    # On the session's connection (its transaction): plain columns need none of the ORM's work on the result.
    found = db.session.connection().execute(statement, parameters).all()
    total, first = (int(found[0][6]), int(found[0][7])) if found else (0, 0)
    return found, total, first


def _read(cohort: Cohort, query: MatrixQuery, page: int | None, per_page: int) -> tuple[list[MatrixRow], int, int]:
    """(rows, total, first)"""
    found, total, first = _fetch(cohort.id, [c.id for c in cohort.credentials], query, page, per_page)
    rows = [
        MatrixRow(user_id, name, email, organization, role, int(earned), [
            Cell(state, None, number) if state else NOT_STARTED_CELL
            for state, number in zip(cells[::2], cells[1::2], strict=True)
        ])
        for user_id, name, email, organization, role, earned, _total, _first, *cells in found
    ]
    return rows, total, first


def matrix_page(cohort: Cohort, query: MatrixQuery, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """One query: the page's members with their cells, and how many match."""
    rows, total, first = _read(cohort, query, page, per_page)
    return Page(rows, first // per_page + 1, per_page, total)


def matrix_page_html(cohort_id: int, credential_ids, query: MatrixQuery, page: int, educator_url: str,
                     per_page: int = PER_PAGE) -> Page:
    """matrix_page for the dashboard, each row its finished HTML (escaped here): the page's template writes them
    out in one loop instead of looking up and escaping every value of every row itself."""
    found, total, first = _fetch(cohort_id, credential_ids, query, page, per_page)
    return Page(_rows_html(found, educator_url), first // per_page + 1, per_page, total)


def _rows_html(found, educator_url: str) -> list[Markup]:
    cell, educator_url = CELL_HTML.__getitem__, escape(educator_url)
    return [
        Markup(  # noqa: S704 -- every value escaped here, the cells in CELL_HTML
            f'<tr><th scope="row"><a href="{educator_url}{user_id}">{escape(name)}</a></th>'
            f'<td>{escape(organization or "—")}</td><td>{escape(role or "—")}</td><td>{int(earned)}</td>'
            + "".join([cell(state or NOT_STARTED) for state in cells[::2]]) + "</tr>"
        )
        for user_id, name, _email, organization, role, earned, _total, _first, *cells in found
    ]


@lru_cache(maxsize=32)
def _states_of(credentials: int) -> Select:
    """The per_member columns of the members given by id (user_ids), whatever the page's order: for a page whose
    members are known already."""
    shape = _Shape(credentials, None, False, False, "name", False, True)
    user_ids = bindparam("user_ids", expanding=True)
    return select(_per_member(queries.latest_states([bindparam("cohort_id")], user_ids).subquery("cells"), shape))


def is_plain(query: MatrixQuery) -> bool:
    """Everyone, by name A to Z: the order of the kept roster (dashboard.Figures.roster)."""
    return query == MatrixQuery()


def roster_page_html(cohort_id: int, credential_ids, roster, page: int, educator_url: str,
                     per_page: int = PER_PAGE) -> Page:
    """matrix_page_html for the plain query (is_plain), the members cut from the roster kept in their order:
    the one query reads only the page's states."""
    total, wanted = len(roster), (max(page, 1) - 1) * per_page
    first = wanted if total > wanted else max(total - 1, 0) // per_page * per_page
    members = roster[first:first + per_page]
    parameters = {"cohort_id": cohort_id, "user_ids": [m[0] for m in members],
                  **{f"credential_{n}": i for n, i in enumerate(credential_ids)}}
    states = {row[0]: row for row in db.session.connection().execute(_states_of(len(credential_ids)), parameters)}
    found = []
    for user_id, name, organization, role in members:
        mine = states.get(user_id)
        earned, cells = (mine[1], mine[3:]) if mine else (0, (None, None) * len(credential_ids))
        found.append((user_id, name, None, organization, role, earned, total, first, *cells))
    return Page(_rows_html(found, educator_url), first // per_page + 1, per_page, total)


def matrix_all(cohort: Cohort, query: MatrixQuery) -> list[MatrixRow]:
    """Every matching member, for the CSV export: one query."""
    return _read(cohort, query, None, PER_PAGE)[0]
