"""The staff submissions list: which submissions match the filters, one page of them, and the facts behind each
row (who holds it, when it is due, what it is waiting for).

Every function issues a fixed number of queries whatever the number of rows: per-row facts are loaded for the
whole page at once, never one query per row. The statements are built once per process (module level, or once
per combination of filters) with bound parameters, so a request only fills in values.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import NamedTuple

from markupsafe import Markup, escape
from sqlalchemy import Row, Select, and_, bindparam, case, exists, func, or_, select, union
from sqlalchemy.orm import aliased

from portal.accounts.models import Organization, User
from portal.catalog.models import Credential, Stack
from portal.extensions import db
from portal.pagination import KeysetPage, KeysetQueries, read_page
from portal.reviews import routing
from portal.reviews.models import Assignment, AssignmentState, PartResult, Review, ReviewerProfile
from portal.reviews.services import reviews_disagree
from portal.submissions.models import STATE_LABELS, State, Submission, Version

WAITING_STATES = (State.SUBMITTED, State.IN_REVIEW)
HOLDING_STATES = (AssignmentState.OPEN, AssignmentState.DONE)


@dataclass(frozen=True)
class SubmissionFilters:
    state: str | None = None
    credential_id: int | None = None
    reviewer_id: int | None = None
    overdue_only: bool = False
    waiting_only: bool = False
    search: str | None = None  # an educator's name or e-mail (any part of it), or a submission number


class Listing(NamedTuple):
    """listing_query's columns: the submission, its educator and credential, its current version. Read into a
    named tuple once: an attribute of a SQLAlchemy Row costs ten times an attribute of a named tuple, and a page
    reads a dozen a row."""

    id: int
    educator_id: int
    credential_id: int
    educator: str
    email: str
    organization: str | None
    credential: str
    version_id: int
    number: int
    state: str
    not_yet_count: int | None


class SubmissionRow(NamedTuple):
    listing: Listing
    reviewers: list[str]  # who holds the current version (open or done)
    due_at: datetime | None  # the earliest due date of an open assignment
    reviews_done: int  # confirmed reviews of the current version, adjudication excluded
    reviews_needed: int
    is_waiting: bool
    is_overdue: bool
    needs_adjudication: bool
    needs_coaching: bool
    released: list[str]  # whose assignment of this version was taken back
    declined: list[str]  # who gave this version back

    @property
    def reviewer_summary(self) -> str:
        """Who holds the version, then who no longer does and why, so released work is named as such."""
        named = [*self.reviewers, *(f"{n} (released)" for n in self.released),
                 *(f"{n} (declined)" for n in self.declined)]
        return ", ".join(named) or "—"

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
        return STATE_LABELS[self.listing.state]


class _Escaped(dict):
    """text -> its escaped HTML, each distinct text escaped once: a page repeats its credentials, organizations,
    cohorts and reviewers on many rows."""

    def __missing__(self, text: str) -> str:
        self[text] = html = str(escape(text))
        return html


def table_html(rows: list[SubmissionRow], *, cohorts: dict[int, list[str]], href: str) -> Markup:
    """The page's table rows, as templates/reviews/staff/submissions.html prints them. `href` is the submission
    page's URL with {} for the id, built once per page.

    Written here as one f-string a row rather than as a Jinja loop: the template's lookup and escape per cell
    cost more than the rest of the page. Every text from the database goes through the escaper; the rest are
    numbers, dates, the state's code and label, and the fixed flag labels."""
    html, href, e = [], str(escape(href)), _Escaped()
    for row in rows:
        s = row.listing
        flags = "".join(f'<span class="tag">{flag}</span> ' for flag in row.flags) or "—"
        due = f"{row.due_at:%d %b %Y}" if row.due_at else "—"
        html.append(f"""
              <tr id="submission-{s.id}">
                <td><a href="{href.format(s.id)}">{s.id}</a></td>
                <td>{e[s.educator]}<br><span class="meta">{e[s.email]}</span></td>
                <td>{e[s.organization or "—"]}</td>
                <td>{e[", ".join(cohorts.get(s.educator_id, ("—",)))]}</td>
                <td>{e[s.credential]}</td>
                <td><span class="state state-{e[s.state]}">{STATE_LABELS[s.state]}</span></td>
                <td class="flags">{flags}</td>
                <td>{s.number}</td>
                <td>{e[row.reviewer_summary]}</td>
                <td>{due}</td>
                <td>{row.reviews_done} of {row.reviews_needed}</td>
              </tr>
            """)
    return Markup("".join(html))  # noqa: S704 -- every value escaped above


_holders = (
    select(func.count())
    .select_from(Assignment)
    .where(Assignment.version_id == Version.id, Assignment.state.in_(HOLDING_STATES))
    .correlate(Version)
    .scalar_subquery()
)
_FEW_HOLDERS = select(Version.id, Version.submission_id, _holders).where(
    Version.state.in_(WAITING_STATES), _holders < 2
)


def waiting_version_ids() -> list[int]:
    """Submitted or in-review versions held by fewer reviewers than they need. How many a version needs is
    decided in Python (a hash of the submission id), so SQL narrows to fewer than two holders first."""
    rows = db.session.execute(_FEW_HOLDERS).all()
    return [version_id for version_id, submission_id, held in rows if held < routing.reviews_needed_for(submission_id)]


# The current version is the one no later version of its submission follows: with the (submission_id, number)
# index that is one probe per row read, so a page of 50 reads about 50 rows.
_later = aliased(Version, name="later_version")
# How many versions of this educator's submissions of this credential were decided Not yet (for the coaching
# flag): computed for the rows read only, through the (educator, credential) index. Counted with CASE rather
# than a WHERE on the state, so the planner is not tempted to start from every Not yet version.
_same_work, _its_version = aliased(Submission, name="same_work"), aliased(Version, name="same_work_version")
_not_yet = (
    select(func.sum(case((_its_version.state == State.NOT_YET, 1), else_=0)))
    .select_from(_same_work)
    .join(_its_version, _its_version.submission_id == _same_work.id)
    .where(_same_work.educator_id == Submission.educator_id, _same_work.credential_id == Submission.credential_id)
    .correlate(Submission)
    .scalar_subquery()
)
_LISTING = (
    select(
        Submission.id,
        Submission.educator_id,
        Submission.credential_id,
        User.name.label("educator"),
        User.email.label("email"),
        Organization.name.label("organization"),
        Credential.title.label("credential"),
        Version.id.label("version_id"),
        Version.number,
        Version.state,
        _not_yet.label("not_yet_count"),
    )
    .join(Version, Version.submission_id == Submission.id)
    .join(User, User.id == Submission.educator_id)
    .outerjoin(Organization, Organization.id == User.organization_id)
    .join(Credential, Credential.id == Submission.credential_id)
    .where(~exists().where(_later.submission_id == Version.submission_id, _later.number > Version.number))
)
# Filters by assignment start from the few matching assignments (through their indexes) rather than probing
# every submission in turn.
_HELD_BY = select(Assignment.version_id).where(
    Assignment.reviewer_id == bindparam("reviewer_id"), Assignment.state.in_(HOLDING_STATES)
)
_LATE = select(Assignment.version_id).where(
    Assignment.state == AssignmentState.OPEN, Assignment.due_at < bindparam("now")
)
LIKE_ESCAPE = "/"


def _search_kind(search: str | None) -> str | None:
    """Whether the text could also be a submission number such as 42 or #42 ("number"), or only a person."""
    if not search:
        return None
    number = search.strip().removeprefix("#").strip()
    return "number" if number.isdigit() and len(number) < 10 else "person"


@cache
def _listing_query(
    *, state: bool, credential: bool, reviewer: bool, overdue: bool, waiting: bool, search: str | None
) -> Select:
    """The listing with the filters that are set, as bound parameters: one statement per combination."""
    query = _LISTING
    if state:
        query = query.where(Version.state == bindparam("state"))
    if credential:
        query = query.where(Submission.credential_id == bindparam("credential_id"))
    if search:
        # Name or e-mail containing the text, case-insensitive; % and _ are plain characters (escaped in
        # listing_params).
        person = or_(
            User.name.icontains(bindparam("search"), escape=LIKE_ESCAPE),
            User.email.icontains(bindparam("search"), escape=LIKE_ESCAPE),
        )
        query = query.where(or_(Submission.id == bindparam("number"), person) if search == "number" else person)
    if reviewer:
        query = query.where(Version.id.in_(_HELD_BY))
    if overdue:
        query = query.where(Version.id.in_(_LATE))
    if waiting:
        query = query.where(Version.id.in_(bindparam("waiting_ids", expanding=True)))
    return query


def listing_query(filters: SubmissionFilters) -> Select:
    """One row of plain columns per submission matching the filters, with its current version; the caller
    orders and limits, and passes listing_params."""
    return _listing_query(
        state=bool(filters.state), credential=bool(filters.credential_id), reviewer=bool(filters.reviewer_id),
        overdue=filters.overdue_only, waiting=filters.waiting_only, search=_search_kind(filters.search),
    )


def listing_params(filters: SubmissionFilters, *, now: datetime) -> dict:
    """The values of listing_query's parameters (the waiting filter costs one query of its own)."""
    params: dict = {}
    if filters.state:
        params["state"] = filters.state
    if filters.credential_id:
        params["credential_id"] = filters.credential_id
    if filters.reviewer_id:
        params["reviewer_id"] = filters.reviewer_id
    if filters.overdue_only:
        params["now"] = now
    if filters.waiting_only:
        params["waiting_ids"] = waiting_version_ids()
    if filters.search:
        text = filters.search.strip()
        for special in (LIKE_ESCAPE, "%", "_"):
            text = text.replace(special, LIKE_ESCAPE + special)
        params["search"] = text
        if _search_kind(filters.search) == "number":
            params["number"] = int(filters.search.strip().removeprefix("#").strip())
    return params


@cache
def _pages(query: Select, per_page: int) -> KeysetQueries:
    return KeysetQueries(query, Submission.id, per_page, plain_columns=True)


def newest_page(
    filters: SubmissionFilters, *, now: datetime, before: int | None, after: int | None, per_page: int
) -> KeysetPage:
    """One page of the matching submissions, newest first."""
    queries = _pages(listing_query(filters), per_page)
    return read_page(queries, lambda listing: listing.id, before=before, after=after,
                     params=listing_params(filters, now=now))


_ASSIGNMENTS = (
    # Filtering on the state in SQL would tempt a planner without statistics to scan by state instead.
    select(Assignment.version_id, Assignment.state, Assignment.due_at, User.name)
    .join(User, User.id == Assignment.reviewer_id)
    .where(Assignment.version_id.in_(bindparam("version_ids", expanding=True)))
    .order_by(Assignment.id)
)
# Part results matter only where reviews may disagree (versions in review); other versions' reviews are counted.
_CONFIRMED_RESULTS = (
    select(Review.version_id, Review.id, Review.is_adjudication, PartResult.part_key, PartResult.result)
    .join(Version, Version.id == Review.version_id)
    .outerjoin(PartResult, and_(PartResult.review_id == Review.id, Version.state == State.IN_REVIEW))
    .where(Review.version_id.in_(bindparam("version_ids", expanding=True)), Review.confirmed_at.is_not(None))
    .order_by(Review.id)
)


def _plain(statement, params):
    """Rows of plain columns, read on the session's connection: the ORM's work per statement would be a third
    of the cost of these small queries, and adds nothing to rows that hold no objects."""
    return db.session.connection().execute(statement, params)


def submission_rows(listings: list[Row], *, now: datetime, coaching_after: int) -> list[SubmissionRow]:
    """The facts behind each row of a page of listing_query rows: two queries for the whole page."""
    if not listings:
        return []
    listings = [Listing._make(listing) for listing in listings]
    version_ids = [listing.version_id for listing in listings]
    holders: dict[int, list[str]] = defaultdict(list)
    due: dict[int, list[datetime]] = defaultdict(list)
    let_go: dict[tuple[int, str], list[str]] = defaultdict(list)
    for version_id, state, due_at, name in _plain(_ASSIGNMENTS, {"version_ids": version_ids}).all():
        if state not in HOLDING_STATES:
            let_go[version_id, state].append(name)
            continue
        holders[version_id].append(name)
        if state == AssignmentState.OPEN:
            due[version_id].append(due_at)
    reviews = _confirmed_results(version_ids)
    rows = []
    no_reviews: dict = {}
    for listing in listings:
        version_id, state = listing.version_id, listing.state
        needed = routing.reviews_needed_for(listing.id)
        confirmed = reviews.get(version_id, no_reviews)
        held, due_dates = holders.get(version_id, []), due.get(version_id)
        due_at = min(due_dates) if due_dates else None
        rows.append(SubmissionRow(
            listing, held, due_at,
            sum(not is_adjudication for is_adjudication, _ in confirmed.values()) if confirmed else 0,
            needed,
            state in WAITING_STATES and len(held) < needed,
            due_at is not None and due_at < now,  # the earliest due date is past
            state == State.IN_REVIEW and reviews_disagree(list(confirmed.values())),
            (listing.not_yet_count or 0) >= coaching_after,
            let_go.get((version_id, AssignmentState.RELEASED), []),
            let_go.get((version_id, AssignmentState.DECLINED), []),
        ))
    return rows


def _confirmed_results(version_ids) -> dict[int, dict[int, tuple[bool, dict]]]:
    """version -> review -> (is_adjudication, {part: result}) for confirmed reviews, in one query; the results
    are read for the versions in review only (elsewhere the dict is empty: nothing there can need adjudication)."""
    found: dict[int, dict[int, tuple[bool, dict]]] = defaultdict(dict)
    rows = _plain(_CONFIRMED_RESULTS, {"version_ids": version_ids}).all()
    for version_id, review_id, is_adjudication, part_key, result in rows:
        _, results = found[version_id].setdefault(review_id, (is_adjudication, {}))
        if part_key is not None:
            results[part_key] = result
    return found


_CREDENTIAL_CHOICES = select(Credential.id, Credential.title).join(Stack).order_by(Stack.title, Credential.position)
# Everyone who reviews or has reviewed: the reviewer role or a reviewer profile (every assignment goes to someone
# with a profile, so a former reviewer keeps theirs).
_reviewer_ids = union(
    select(ReviewerProfile.user_id), select(User.id.label("user_id")).where(User.is_reviewer)
).subquery()
_REVIEWER_CHOICES = (
    select(User.id, User.name).join(_reviewer_ids, _reviewer_ids.c.user_id == User.id).order_by(User.name, User.id)
)


def credential_choices() -> list[tuple[int, str]]:
    return [(credential_id, title) for credential_id, title in db.session.execute(_CREDENTIAL_CHOICES)]


def reviewer_choices() -> list[tuple[int, str]]:
    """Everyone who reviews or has reviewed. The list changes when someone gains the reviewer role or a profile,
    or such a person is renamed: those changes call cache.changed(REVIEWERS)."""
    return [(user_id, name) for user_id, name in db.session.execute(_REVIEWER_CHOICES)]


EXPORT_CHUNK = 500
EXPORT_HEADER = [
    "No.", "Educator", "Email", "Organization", "Cohort", "Credential", "State", "Flags", "Version",
    "Reviewers", "Due", "Reviews done", "Reviews needed",
]


def export_lines(filters: SubmissionFilters, *, now: datetime, coaching_after: int, cohorts_of):
    """Every submission matching the filters as CSV lines (newest first), read 500 at a time so an export of the
    whole portal costs a few queries per 500 rows. cohorts_of(educator ids) -> {educator id: [cohort names]}."""
    queries = _pages(listing_query(filters), EXPORT_CHUNK)
    params = listing_params(filters, now=now)
    before = None
    while True:
        chunk = read_page(queries, lambda listing: listing.id, before=before, after=None, params=params)
        if not chunk.rows:
            return
        cohorts = cohorts_of({listing.educator_id for listing in chunk.rows})
        for row in submission_rows(chunk.rows, now=now, coaching_after=coaching_after):
            yield _export_line(row, cohorts)
        if chunk.older is None:
            return
        before = chunk.older


def _export_line(row: SubmissionRow, cohorts: dict) -> list:
    s = row.listing
    return [
        s.id, s.educator, s.email, s.organization or "", ", ".join(cohorts.get(s.educator_id, [])), s.credential,
        row.state_label, "; ".join(row.flags), s.number, "" if row.reviewer_summary == "—" else row.reviewer_summary,
        row.due_at.strftime("%Y-%m-%d") if row.due_at else "", row.reviews_done, row.reviews_needed,
    ]
