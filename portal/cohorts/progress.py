"""One person's progress: the educator's own cohorts page and the staff page about one educator."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.catalog.models import Credential
from portal.cohorts.matrix import NOT_STARTED, Cell
from portal.cohorts.models import Cohort, Membership, Milestone
from portal.extensions import db
from portal.reviews.models import Result, Review
from portal.submissions.models import State, Submission, Version

MILESTONE_LABELS = {"not_started": "Not started", "met": "Met", "on_track": "On track", "behind": "Behind"}


def milestone_status(states: list[str], due_on: date, today: date, starts_on: date | None = None) -> str:
    """The rule of the educator's own page and of the cohort dashboard: met when every credential is earned;
    not started before the cohort begins (nobody is behind on work that has not begun); before the target date,
    on track when every one is at least started; otherwise behind."""
    if all(s == State.EARNED for s in states):
        return "met"
    if starts_on is not None and today < starts_on:
        return "not_started"
    if due_on >= today and all(s not in (NOT_STARTED, State.WITHDRAWN) for s in states):
        return "on_track"
    return "behind"


@dataclass
class Step:
    credential: Credential
    cell: Cell
    action: str | None = None  # "continue", "revise", "start"; None: nothing to do now
    blocked_by: list[Credential] = field(default_factory=list)  # prerequisites not earned yet


@dataclass
class MilestoneLine:
    milestone: Milestone
    status: str
    missing: list[Credential]

    @property
    def label(self) -> str:
        return MILESTONE_LABELS[self.status]


@dataclass
class MyCohort:
    cohort: Cohort
    membership: Membership
    steps: list[Step]
    milestones: list[MilestoneLine]
    next_step: Step | None


def latest_cells(user) -> dict[int, Cell]:
    """credential id -> the state of the user's latest submission of it (one query)."""
    submissions = db.session.scalars(
        select(Submission).where(Submission.educator_id == user.id).options(selectinload(Submission.versions))
        .order_by(Submission.id)
    )
    cells = {}
    for submission in submissions:  # later submissions replace earlier (withdrawn) ones
        version = submission.current_version
        cells[submission.credential_id] = Cell(version.state, submission.id, version.number)
    return cells


def _step(credential: Credential, cell: Cell, earned: set[int]) -> Step:
    if cell.state == State.DRAFT:
        return Step(credential, cell, "continue")
    if cell.state == State.NOT_YET:
        return Step(credential, cell, "revise")
    if cell.state in (NOT_STARTED, State.WITHDRAWN):
        blocked = [p for p in credential.prerequisites if p.id not in earned]
        return Step(credential, cell, None if blocked else "start", blocked)
    return Step(credential, cell)


def my_cohorts(user, today: date) -> list[MyCohort]:
    memberships = db.session.scalars(
        select(Membership).join(Cohort).where(Membership.user_id == user.id)
        .options(selectinload(Membership.cohort)).order_by(Cohort.starts_on.desc().nulls_last(), Cohort.id)
    ).all()
    cells = latest_cells(user)
    earned = {cid for cid, cell in cells.items() if cell.state == State.EARNED}
    return [_my_cohort(m, cells, earned, today) for m in memberships]


def _my_cohort(membership: Membership, cells: dict[int, Cell], earned: set[int], today: date) -> MyCohort:
    cohort = membership.cohort
    steps = {c.id: _step(c, cells.get(c.id, Cell(NOT_STARTED)), earned) for c in cohort.credentials}
    lines = []
    for milestone in cohort.milestones:
        states = [steps[c.id].cell.state if c.id in steps else NOT_STARTED for c in milestone.credentials]
        missing = [c for c in milestone.credentials if c.id not in earned]
        status = milestone_status(states, milestone.due_on, today, cohort.starts_on)
        lines.append(MilestoneLine(milestone, status, missing))
    # The next step serves the earliest milestone not met yet, then the rest of the stack in order.
    order = [c.id for line in lines if line.status != "met" for c in line.missing if c.id in steps]
    order += [c.id for c in cohort.credentials]
    next_step = next((steps[cid] for cid in order if steps[cid].action), None)
    return MyCohort(cohort, membership, list(steps.values()), lines, next_step)


# ---------- staff: one educator ----------

@dataclass
class VersionLine:
    version: Version
    not_yet_parts: list[str]  # part titles marked "Not yet" in confirmed reviews


@dataclass
class SubmissionLine:
    submission: Submission
    versions: list[VersionLine]


def educator_record(user) -> tuple[list[Membership], list[SubmissionLine]]:
    """The educator's cohorts and every submission with its versions and decisions: three queries plus the
    eager loads, whatever the number of submissions."""
    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == user.id).options(selectinload(Membership.cohort))
    ).all()
    submissions = db.session.scalars(
        select(Submission).where(Submission.educator_id == user.id)
        .options(selectinload(Submission.versions), selectinload(Submission.credential))
        .order_by(Submission.id.desc())
    ).all()
    version_ids = [v.id for s in submissions for v in s.versions]
    reviews = db.session.scalars(
        select(Review).where(Review.version_id.in_(version_ids), Review.confirmed_at.is_not(None))
    ).all() if version_ids else []
    not_yet: dict[int, list[str]] = {}
    for review in reviews:
        for result in review.results:
            if result.result == Result.NOT_YET:
                not_yet.setdefault(review.version_id, []).append(result.part_key)
    lines = [
        SubmissionLine(s, [VersionLine(v, _titles(v, not_yet.get(v.id, []))) for v in reversed(s.versions)])
        for s in submissions
    ]
    return memberships, lines


def _titles(version: Version, keys: list[str]) -> list[str]:
    titles = {p.key: f"Part {n}. {p.title}" for n, p in enumerate(version.requirements.parts, start=1)}
    return [titles.get(k, k) for k in dict.fromkeys(keys)]
