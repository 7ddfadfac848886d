"""The figures of the staff overview, each a count with the page that lists it. A fixed number of queries
whatever the data size: waiting work (1), overdue work (1), adjudications (2), cohorts behind (3)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import selectinload

from portal.catalog.models import Credential
from portal.cohorts import queries
from portal.cohorts.matrix import NOT_STARTED
from portal.cohorts.models import Cohort, Membership, Milestone
from portal.cohorts.progress import milestone_status
from portal.extensions import db
from portal.reviews.models import Assignment, AssignmentState, PartResult, Review
from portal.reviews.services import reviews_disagree
from portal.reviews.submission_list import waiting_version_ids
from portal.submissions.models import State, Submission, Version

LISTED = 10  # adjudications and cohorts named on the page; the count says how many there are in all


@dataclass(frozen=True)
class PendingAdjudication:
    version_id: int
    submission_id: int
    number: int
    credential: str


@dataclass(frozen=True)
class CohortBehind:
    cohort_id: int
    name: str
    members_behind: int
    milestones: list[str]  # titles of the milestones someone is behind on, by due date


@dataclass
class Overview:
    waiting: int
    overdue: int
    adjudications: list[PendingAdjudication] = field(default_factory=list)
    cohorts_behind: list[CohortBehind] = field(default_factory=list)


def staff_overview(*, now: datetime, today: date) -> Overview:
    return Overview(
        waiting=len(waiting_version_ids()),
        overdue=_overdue_count(now),
        adjudications=pending_adjudications(),
        cohorts_behind=cohorts_behind(today),
    )


def _overdue_count(now: datetime) -> int:
    query = select(func.count(distinct(Assignment.version_id))).where(
        Assignment.state == AssignmentState.OPEN, Assignment.due_at < now
    )
    return db.session.scalar(query) or 0


def pending_adjudications() -> list[PendingAdjudication]:
    """Versions in review whose two confirmed reviews disagree and that no staff member has settled yet."""
    confirmed = (
        select(Review.id, Review.version_id, Review.is_adjudication)
        .join(Version, Version.id == Review.version_id)
        .where(Version.state == State.IN_REVIEW, Review.confirmed_at.is_not(None))
        .order_by(Review.version_id, Review.id)
    )
    reviews = db.session.execute(confirmed).all()
    if not reviews:
        return []
    results: dict[int, dict[str, str | None]] = defaultdict(dict)
    rows = db.session.execute(
        select(PartResult.review_id, PartResult.part_key, PartResult.result)
        .where(PartResult.review_id.in_([r.id for r in reviews]))
    )
    for review_id, part_key, result in rows:
        results[review_id][part_key] = result
    by_version: dict[int, list[tuple[bool, dict]]] = defaultdict(list)
    for review_id, version_id, is_adjudication in reviews:
        by_version[version_id].append((is_adjudication, results[review_id]))
    disputed = [version_id for version_id, confirmed in by_version.items() if reviews_disagree(confirmed)]
    return _describe(disputed)


def _describe(version_ids: list[int]) -> list[PendingAdjudication]:
    if not version_ids:
        return []
    rows = db.session.execute(
        select(Version.id, Version.submission_id, Version.number, Credential.title)
        .join(Submission, Submission.id == Version.submission_id)
        .join(Credential, Credential.id == Submission.credential_id)
        .where(Version.id.in_(version_ids))
        .order_by(Version.submitted_at, Version.id)
    )
    return [PendingAdjudication(*row) for row in rows]


def cohorts_behind(today: date) -> list[CohortBehind]:
    """Running cohorts (started, not ended) with at least one member behind on a milestone, by the rule of the
    cohort dashboard (milestone_status)."""
    running = db.session.scalars(
        select(Cohort)
        .where(or_(Cohort.starts_on.is_(None), Cohort.starts_on <= today))
        .where(or_(Cohort.ends_on.is_(None), Cohort.ends_on >= today))
        .where(Cohort.milestones.any())
        .options(selectinload(Cohort.milestones).selectinload(Milestone.credentials))
        .order_by(Cohort.name, Cohort.id)
    ).all()
    if not running:
        return []
    ids = [cohort.id for cohort in running]
    members: dict[int, list[int]] = defaultdict(list)
    for cohort_id, user_id in db.session.execute(
        select(Membership.cohort_id, Membership.user_id).where(Membership.cohort_id.in_(ids))
    ):
        members[cohort_id].append(user_id)
    c = queries.cells(ids)
    states: dict[tuple[int, int, int], str] = {}
    for cohort_id, user_id, credential_id, state in db.session.execute(
        select(c.c.cohort_id, c.c.user_id, c.c.credential_id, c.c.state)
    ):
        states[(cohort_id, user_id, credential_id)] = state
    lines = []
    for cohort in running:
        line = _cohort_behind(cohort, members[cohort.id], states, today)
        if line:
            lines.append(line)
    return lines


def _cohort_behind(cohort: Cohort, user_ids: list[int], states: dict, today: date) -> CohortBehind | None:
    behind_people, titles = set(), []
    for milestone in sorted(cohort.milestones, key=lambda m: m.due_on):
        ids = [credential.id for credential in milestone.credentials]
        late = {
            user_id for user_id in user_ids
            if milestone_status([states.get((cohort.id, user_id, i), NOT_STARTED) for i in ids],
                                milestone.due_on, today) == "behind"
        }
        if late:
            behind_people |= late
            titles.append(milestone.title)
    if not behind_people:
        return None
    return CohortBehind(cohort.id, cohort.name, len(behind_people), titles)
