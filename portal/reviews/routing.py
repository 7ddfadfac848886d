"""Choosing a reviewer for a submitted version: eligibility, tie-breaks, declines and reassignment.

The rule (DESIGN.md, "Review routing"): active, qualified for the stack, under capacity, not the author,
not from the author's organization, not one who declined it; the least loaded wins, then the least
recently assigned, then the lowest id. Choosing is serialized per reviewer with row locks, so concurrent
submissions can never push a reviewer past capacity.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import DateTime, Integer, bindparam, func, or_, select, tuple_, union_all, update
from sqlalchemy.orm import aliased, defer, joinedload

from portal import audit
from portal.accounts.models import User
from portal.audit import utcnow
from portal.catalog.models import Credential
from portal.extensions import db
from portal.reviews.models import Assignment, AssignmentState, ReviewerProfile, reviewer_stacks
from portal.submissions.models import State, Submission, Version
from portal.submissions.services import lock_version


@dataclass(frozen=True)
class Candidate:
    user_id: int
    organization_id: int | None
    is_active: bool
    is_qualified: bool
    capacity: int
    load: int
    last_assigned_at: datetime | None


def refusal_reasons(candidate: Candidate, *, author_id: int, author_organization_id: int | None, excluded) -> list[str]:
    """Why routing may not give the version to this candidate, in words staff read ([] when eligible). `excluded`
    holds who declined or was already given the version; a mapping gives each one's reason."""
    reasons = []
    if candidate.user_id == author_id:
        reasons.append("the author")
    elif author_organization_id is not None and candidate.organization_id == author_organization_id:
        reasons.append("same organization")
    if candidate.user_id in excluded:
        reasons.append(excluded[candidate.user_id] if isinstance(excluded, Mapping) else "declined or already given")
    if not candidate.is_active:
        reasons.append("inactive")
    if not candidate.is_qualified:
        reasons.append("not qualified for this stack")
    if candidate.load >= candidate.capacity:
        reasons.append("at capacity")
    return reasons


def is_eligible(candidate: Candidate, *, author_id: int, author_organization_id: int | None, excluded) -> bool:
    return not refusal_reasons(
        candidate, author_id=author_id, author_organization_id=author_organization_id, excluded=excluded
    )


def rank(candidate: Candidate) -> tuple:
    never = datetime.min  # never assigned counts as least recently assigned
    return (candidate.load, candidate.last_assigned_at or never, candidate.user_id)


def choose(candidates, *, author_id, author_organization_id, excluded=frozenset(), preferred=None):
    """The reviewer to assign, or None. `preferred` (the previous version's reviewer) wins while eligible."""
    eligible = [
        c
        for c in candidates
        if is_eligible(c, author_id=author_id, author_organization_id=author_organization_id, excluded=excluded)
    ]
    for candidate in eligible:
        if candidate.user_id == preferred:
            return candidate
    return min(eligible, key=rank, default=None)


def is_double_scored(submission_id: int) -> bool:
    """Deterministic per submission, so every version of it is treated alike and reruns agree."""
    return _calibration_draw(submission_id) < float(current_app.config["CALIBRATION_SHARE"]) * 10_000


@lru_cache(maxsize=65_536)
def _calibration_draw(submission_id: int) -> int:
    """The submission's fixed number in 0..9999 (kept: the staff list asks it for every row of every page)."""
    digest = hashlib.sha256(f"calibration:{submission_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 10_000


def reviews_needed_for(submission_id: int) -> int:
    return 2 if is_double_scored(submission_id) else 1


def _lock_reviewers(stack_id: int) -> list[int]:
    """Lock the profiles of everyone qualified for the stack, in id order so concurrent choosers never deadlock."""
    ids_query = (
        select(ReviewerProfile.user_id)
        .join(reviewer_stacks, reviewer_stacks.c.reviewer_id == ReviewerProfile.user_id)
        .where(reviewer_stacks.c.stack_id == stack_id)
        .order_by(ReviewerProfile.user_id)
    )
    if db.engine.dialect.name == "postgresql":
        return list(db.session.scalars(ids_query.with_for_update(of=ReviewerProfile)))
    ids = list(db.session.scalars(ids_query))
    # SQLite has no row locks: a no-op write takes the database write lock for the rest of the transaction.
    if ids:
        db.session.execute(
            update(ReviewerProfile)
            .where(ReviewerProfile.user_id.in_(ids))
            .values(capacity=ReviewerProfile.capacity)
            .execution_options(synchronize_session=False)
        )
    return ids


def _holds_sqlite_write_lock() -> bool:
    # pysqlite opens a transaction (BEGIN) only before its first INSERT, UPDATE or DELETE, whose lock then lasts.
    return db.session.connection().connection.dbapi_connection.in_transaction


# Open assignments of the reviewer of the row: the load that capacity is measured against.
_OPEN_LOAD = (
    select(func.count())
    .where(Assignment.reviewer_id == ReviewerProfile.user_id, Assignment.state == AssignmentState.OPEN)
    .scalar_subquery()
)
# Columns, not profiles: read after the locks, so always current, and no objects to build per reviewer.
_CANDIDATE_COLUMNS = select(
    ReviewerProfile.user_id, User.organization_id,
    ReviewerProfile.is_active & User.is_reviewer & User.deactivated_at.is_(None),
    ReviewerProfile.capacity, _OPEN_LOAD, ReviewerProfile.last_assigned_at,
).join(User, User.id == ReviewerProfile.user_id)
_CANDIDATES = _CANDIDATE_COLUMNS.where(ReviewerProfile.user_id.in_(bindparam("ids", expanding=True)))
_STACK_CANDIDATES = _CANDIDATE_COLUMNS.join(
    reviewer_stacks, reviewer_stacks.c.reviewer_id == ReviewerProfile.user_id
).where(reviewer_stacks.c.stack_id == bindparam("stack_id"))


def load_candidates(stack_id: int) -> list[Candidate]:
    if db.engine.dialect.name != "postgresql" and _holds_sqlite_write_lock():
        # The transaction holds SQLite's one write lock already: nothing to take, so one query.
        rows = db.session.execute(_STACK_CANDIDATES, {"stack_id": stack_id})
    else:
        ids = _lock_reviewers(stack_id)
        if not ids:
            return []
        rows = db.session.execute(_CANDIDATES, {"ids": ids})
    return [
        Candidate(user_id, org, bool(is_active), True, capacity, load, last_assigned_at)
        for user_id, org, is_active, capacity, load, last_assigned_at in rows
    ]


def holders(version: Version) -> set[int]:
    """Reviewers who hold this version: assigned and not declined or released."""
    query = select(Assignment.reviewer_id).where(
        Assignment.version_id == version.id, Assignment.state.in_([AssignmentState.OPEN, AssignmentState.DONE])
    )
    return set(db.session.scalars(query))


def had_version(version: Version) -> set[int]:
    """Everyone ever assigned this version, whatever became of it: one assignment row per reviewer and version."""
    return set(db.session.scalars(select(Assignment.reviewer_id).where(Assignment.version_id == version.id)))


# Every assignment of the submission, filtered in Python: a condition on the state would tempt SQLite to read all
# declined assignments instead of this submission's few.
_GIVEN = (
    select(Assignment.reviewer_id, Assignment.state, Assignment.decline_reason, Assignment.version_id,
           Version.number, Assignment.closed_at)
    .join(Version).where(Version.submission_id == bindparam("submission_id"))
    .order_by(Assignment.id)
)


def _given(version: Version) -> list:
    """Every assignment of the version's submission, each version's: what exclusions and the previous
    reviewer are read from, in one query."""
    return db.session.execute(_GIVEN, {"submission_id": version.submission_id}).all()


def exclusions(version: Version, given: list | None = None) -> dict[int, str]:
    """Who declined this submission (any version) or was already given this version -> why, in staff's words."""
    found: dict[int, str] = {}
    for row in _given(version) if given is None else given:
        if row.state == AssignmentState.DECLINED:
            found[row.reviewer_id] = _declined(row.decline_reason)
        elif row.version_id == version.id and row.reviewer_id not in found:
            released = row.state == AssignmentState.RELEASED
            found[row.reviewer_id] = "released from this version" if released else "already assigned"
    return found


def _declined(reason: str | None) -> str:
    text = (reason or "").lower()
    if "conflict" in text:
        return "declined: conflict"
    if "time" in text:
        return "declined: no time"
    return "declined"


def pool_candidates(stack_id: int) -> list[Candidate]:
    """Every reviewer profile as a routing candidate for a version of this stack, qualified or not (no locks:
    for showing staff who could take it; `route` and `assign_by_hand` decide under locks)."""
    loads = dict(
        db.session.execute(
            select(Assignment.reviewer_id, func.count())
            .where(Assignment.state == AssignmentState.OPEN)
            .group_by(Assignment.reviewer_id)
        ).all()
    )
    qualified = set(db.session.scalars(
        select(reviewer_stacks.c.reviewer_id).where(reviewer_stacks.c.stack_id == stack_id)
    ))
    rows = db.session.execute(
        select(ReviewerProfile, User.organization_id, User.is_reviewer, User.deactivated_at)
        .join(User, User.id == ReviewerProfile.user_id)
    ).all()
    return [
        Candidate(p.user_id, org, p.is_active and is_reviewer and deactivated_at is None, p.user_id in qualified,
                  p.capacity, loads.get(p.user_id, 0), p.last_assigned_at)
        for p, org, is_reviewer, deactivated_at in rows
    ]


def refusals(version: Version, candidates: list[Candidate]) -> dict[int, list[str]]:
    """candidate -> why they may not take this version (empty list: they may), by the routing rule itself."""
    submission = version.submission
    excluded = exclusions(version)
    return {
        c.user_id: refusal_reasons(
            c, author_id=submission.educator_id, author_organization_id=submission.educator.organization_id,
            excluded=excluded,
        )
        for c in candidates
    }


def previous_reviewer_id(version: Version, given: list | None = None) -> int | None:
    """The reviewer who finished the previous version (the first to, if two did), so a revision returns to them."""
    if version.number == 1:
        return None
    done = [row for row in (_given(version) if given is None else given)
            if row.number == version.number - 1 and row.state == AssignmentState.DONE]
    return min(done, key=lambda row: row.closed_at).reviewer_id if done else None


def route(version: Version, *, actor=None) -> list[Assignment]:
    """Assign reviewers until the version has as many as it needs. Returns the new assignments;
    none when nobody is eligible, in which case the version waits in the staff queue."""
    submission = version.submission
    created = []
    # Locked before the reviewers (the order withdrawing takes them too); a version another transaction holds
    # is being withdrawn or decided, and is skipped rather than waited for, so a tick never deadlocks with it.
    if not lock_version(version, skip_locked=True) or version.state not in (State.SUBMITTED, State.IN_REVIEW):
        return created
    given = _given(version)
    held = {row.reviewer_id for row in given if row.version_id == version.id and row.state in HOLDING}
    excluded = exclusions(version, given)
    preferred = previous_reviewer_id(version, given)
    for _ in range(reviews_needed_for(submission.id) - len(held)):
        candidates = load_candidates(submission.credential.stack_id)
        chosen = choose(
            candidates,
            author_id=submission.educator_id,
            author_organization_id=submission.educator.organization_id,
            excluded=set(excluded),
            preferred=preferred,
        )
        if chosen is None:
            break
        created.append(assign(version, reviewer_id=chosen.user_id, actor=actor))
        excluded[chosen.user_id] = "already assigned"
    return created


# On the table, not the model: an ORM-enabled UPDATE costs more to prepare than to run.
_PROFILES = ReviewerProfile.__table__
_ASSIGNED_NOW = (
    update(_PROFILES).where(_PROFILES.c.user_id == bindparam("reviewer_id")).values(last_assigned_at=bindparam("now"))
)


def assign(version: Version, *, reviewer_id: int, actor=None) -> Assignment:
    now = utcnow()
    days = current_app.config["REVIEW_DUE_DAYS"]
    assignment = Assignment(
        version=version, reviewer_id=reviewer_id, assigned_at=now, due_at=now + timedelta(days=days)
    )
    db.session.add(assignment)
    db.session.execute(_ASSIGNED_NOW, {"reviewer_id": reviewer_id, "now": now})
    db.session.flush()
    audit.record(
        "review.assign",
        actor=actor,
        subject=version.submission,
        version=version.number,
        reviewer=reviewer_id,
        assignment=assignment.id,
    )
    return assignment


HOLDING = (AssignmentState.OPEN, AssignmentState.DONE)


def _holding_count():
    return (
        select(func.count())
        .select_from(Assignment)
        .where(Assignment.version_id == Version.id, Assignment.state.in_(HOLDING))
        .scalar_subquery()
    )


PAGE_SLACK = 20  # rows beyond `limit` read at once: held versions the rule filters out after the query
REVIEWER = bindparam("reviewer_id")


def _oldest(query, state: State):
    """The first `size` versions of `query` in `state` after the keyset (after_at, after_id), oldest submitted
    first: read in the order of ix_submission_versions_state_submitted, stopping after `size` rows."""
    holding = _holding_count()
    after = tuple_(bindparam("after_at", type_=DateTime()), bindparam("after_id", type_=Integer()))
    return select(
        query.add_columns(Version.submitted_at, holding.label("held"))
        .where(Version.state == state, holding < 2, tuple_(Version.submitted_at, Version.id) > after)
        .order_by(Version.submitted_at, Version.id)
        .limit(bindparam("size"))
        .subquery()
    )


def _oldest_first(query):
    """One page of waiting candidates of both states, merged oldest first. Built once per query (the statement
    is large, and its cache key is computed once per statement object)."""
    page = union_all(_oldest(query, State.SUBMITTED), _oldest(query, State.IN_REVIEW)).subquery()
    return select(page).order_by(page.c.submitted_at, page.c.id).limit(bindparam("size"))


def _waiting(page_query, limit: int, **params) -> list[Version]:
    """Submitted versions that still lack a reviewer (or their second one), oldest first, from `page_query` (an
    _oldest_first statement). However many versions wait, only the oldest few are read, a page at a time while
    the ones read are held already (one reviewer enough). Only ids are sorted; the chosen versions are loaded
    after, so the answers of every candidate are never read."""
    ids: list[int] = []
    after_at, after_id, size = datetime.min, 0, limit + PAGE_SLACK
    while len(ids) < limit:
        rows = db.session.execute(
            page_query, {**params, "after_at": after_at, "after_id": after_id, "size": size}
        ).all()
        ids += [row.id for row in rows if row.held < reviews_needed_for(row.submission_id)]
        if len(rows) < size:
            break
        after_at, after_id = rows[-1].submitted_at, rows[-1].id
    ids = ids[:limit]
    if not ids:
        return []
    loaded = {version.id: version for version in db.session.scalars(_LOAD_WAITING, {"ids": ids})}
    return [loaded[version_id] for version_id in ids]


# What routing reads of a version it tries: the submission, its credential (the stack) and the author.
_LOAD_WAITING = select(Version).where(Version.id.in_(bindparam("ids", expanding=True))).options(
    defer(Version.answers),  # routing never reads them, and they are the largest column
    joinedload(Version.submission).options(joinedload(Submission.credential), joinedload(Submission.educator)),
)
_ALL_WAITING = _oldest_first(select(Version.id, Version.submission_id))


def waiting_versions(limit: int = 200) -> list[Version]:
    """The staff queue: every version waiting for a reviewer, oldest first."""
    return _waiting(_ALL_WAITING, limit)


_ROOM = (
    select(
        ReviewerProfile.capacity, ReviewerProfile.is_active,
        (User.is_reviewer & User.deactivated_at.is_(None)).label("is_reviewer"), _OPEN_LOAD.label("load"),
    )
    .join(User, User.id == ReviewerProfile.user_id)
    .where(ReviewerProfile.user_id == REVIEWER)
)


def room_of(reviewer_id: int) -> int:
    """How many more open reviews routing may give this reviewer now (0 when paused or no longer a reviewer)."""
    row = db.session.execute(_ROOM, {"reviewer_id": reviewer_id}).first()
    if row is None or not (row.is_active and row.is_reviewer):
        return 0
    return max(row.capacity - row.load, 0)


def _reviewer_may_take():
    """Versions REVIEWER may be given: in one of their stacks, not their own or their organization's, never given
    to them, not declined by them in an earlier version."""
    reviewer_org = select(User.organization_id).where(User.id == REVIEWER).scalar_subquery()
    author = aliased(User, name="author")
    earlier = aliased(Version, name="earlier_version")
    # Not correlated: the reviewer's declines are read once, not once per waiting version.
    declined_submissions = (
        select(earlier.submission_id)
        .join(Assignment, Assignment.version_id == earlier.id)
        .where(Assignment.reviewer_id == REVIEWER, Assignment.state == AssignmentState.DECLINED)
    )
    given_before = select(Assignment.id).where(
        Assignment.version_id == Version.id, Assignment.reviewer_id == REVIEWER
    ).exists()
    return (
        select(Version.id, Version.submission_id)
        .join(Submission, Submission.id == Version.submission_id)
        .join(Credential, Credential.id == Submission.credential_id)
        .join(reviewer_stacks, reviewer_stacks.c.stack_id == Credential.stack_id)
        .join(author, author.id == Submission.educator_id)
        .where(
            reviewer_stacks.c.reviewer_id == REVIEWER,
            Submission.educator_id != REVIEWER,
            or_(author.organization_id.is_(None), reviewer_org.is_(None), author.organization_id != reviewer_org),
            ~given_before,
            Version.submission_id.not_in(declined_submissions),
        )
    )


_REVIEWER_WAITING = _oldest_first(_reviewer_may_take())


def waiting_for(reviewer_id: int, limit: int) -> list[Version]:
    """The waiting versions this reviewer could be given, oldest first (see _reviewer_may_take)."""
    return _waiting(_REVIEWER_WAITING, limit, reviewer_id=reviewer_id)
