"""The staff submissions list: which submissions match the filters, one page of them, and the facts behind each
row (who holds it, when it is due, what it is waiting for).

Every function issues a fixed number of queries whatever the number of rows: per-row facts are loaded for the
whole page at once, never one query per row.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Row, Select, case, exists, func, or_, select, union
from sqlalchemy.orm import aliased

from portal.accounts.models import Organization, User
from portal.catalog.models import Credential, Stack
from portal.extensions import db
from portal.reviews import routing
from portal.reviews.models import Assignment, AssignmentState, PartResult, Review, ReviewerProfile
from portal.reviews.services import reviews_disagree
from portal.submissions.models import State, Submission, Version

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
    released: list[str] = field(default_factory=list)  # whose assignment of this version was taken back
    declined: list[str] = field(default_factory=list)  # who gave this version back

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
        return State(self.listing.state).label



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
            User.email.label("email"),
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
    if filters.search:
        query = query.where(_matches_search(filters.search))
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


def _matches_search(search: str):
    """Name or e-mail containing the text (case-insensitive; % and _ are plain characters), or, for a number
    such as "42" or "#42", also that submission."""
    text = search.strip()
    person = or_(User.name.icontains(text, autoescape=True), User.email.icontains(text, autoescape=True))
    number = text.removeprefix("#").strip()
    return or_(Submission.id == int(number), person) if number.isdigit() and len(number) < 10 else person


def submission_rows(listings: list[Row], *, now: datetime, coaching_after: int) -> list[SubmissionRow]:
    """The facts behind each row of a page of submissions_query rows: three queries for the whole page."""
    if not listings:
        return []
    version_ids = [listing.version_id for listing in listings]
    holders: dict[int, list[str]] = defaultdict(list)
    due: dict[int, list[datetime]] = defaultdict(list)
    let_go: dict[tuple[int, str], list[str]] = defaultdict(list)
    # Filtering on the state in SQL would tempt a planner without statistics to scan by state instead.
    assignments = db.session.execute(
        select(Assignment.version_id, Assignment.state, Assignment.due_at, User.name)
        .join(User, User.id == Assignment.reviewer_id)
        .where(Assignment.version_id.in_(version_ids))
        .order_by(Assignment.id)
    ).all()
    for version_id, state, due_at, name in assignments:
        if state not in HOLDING_STATES:
            let_go[version_id, state].append(name)
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
                released=let_go[version_id, AssignmentState.RELEASED],
                declined=let_go[version_id, AssignmentState.DECLINED],
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


EXPORT_CHUNK = 500
EXPORT_HEADER = [
    "No.", "Educator", "Email", "Organization", "Cohort", "Credential", "State", "Flags", "Version",
    "Reviewers", "Due", "Reviews done", "Reviews needed",
]


def export_lines(filters: SubmissionFilters, *, now: datetime, coaching_after: int, cohorts_of):
    """Every submission matching the filters as CSV lines (newest first), read 500 at a time so an export of the
    whole portal costs a few queries per 500 rows. cohorts_of(educator ids) -> {educator id: [cohort names]}."""
    before = None
    while True:
        query = submissions_query(filters, now=now)
        if before is not None:
            query = query.where(Submission.id < before)
        listings = db.session.execute(query.order_by(Submission.id.desc()).limit(EXPORT_CHUNK)).all()
        if not listings:
            return
        cohorts = cohorts_of({listing.educator_id for listing in listings})
        for row in submission_rows(listings, now=now, coaching_after=coaching_after):
            yield _export_line(row, cohorts)
        before = listings[-1].id


def _export_line(row: SubmissionRow, cohorts: dict) -> list:
    s = row.listing
    return [
        s.id, s.educator, s.email, s.organization or "", ", ".join(cohorts.get(s.educator_id, [])), s.credential,
        row.state_label, "; ".join(row.flags), s.number, "" if row.reviewer_summary == "—" else row.reviewer_summary,
        row.due_at.strftime("%Y-%m-%d") if row.due_at else "", row.reviews_done, row.reviews_needed,
    ]
