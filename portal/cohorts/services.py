"""Cohorts and their milestones: creating, changing, and the program overview across cohorts."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select

from portal import audit
from portal.catalog.models import Credential, Stack
from portal.cohorts import queries
from portal.cohorts.models import Cohort, Membership, Milestone
from portal.extensions import db

OVERVIEW_PER_PAGE = 25


class CohortError(ValueError):
    """A cohort or milestone that cannot be saved; .field names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _checked_credentials(stack: Stack, credentials: list[Credential]) -> list[Credential]:
    """The chosen credentials in stack order; none chosen means the whole stack."""
    if any(c.stack_id != stack.id for c in credentials):
        raise CohortError("Choose credentials of the cohort's stack only.", "credential_ids")
    chosen = {c.id for c in credentials}
    return [c for c in stack.credentials if not chosen or c.id in chosen]


def _check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        raise CohortError("The end date must be on or after the start date.", "ends_on")


def create_cohort(
    *, name: str, program: str, description: str, starts_on: date | None, ends_on: date | None,
    stack: Stack, credentials: list[Credential], actor,
) -> Cohort:
    """A new cohort working toward the chosen credentials of stack (all of them when none are chosen)."""
    _check_dates(starts_on, ends_on)
    cohort = Cohort(
        name=" ".join(name.split()), program=" ".join(program.split()), description=description.strip(),
        starts_on=starts_on, ends_on=ends_on, stack=stack, credentials=_checked_credentials(stack, credentials),
    )
    db.session.add(cohort)
    db.session.flush()
    audit.record("cohort.create", actor=actor, subject=cohort, credentials=[c.slug for c in cohort.credentials])
    return cohort


def missing_prerequisites(cohort: Cohort) -> list[tuple[Credential, Credential]]:
    """(credential, its prerequisite) for each prerequisite of the cohort's credentials the cohort leaves out:
    members cannot submit that credential until they have earned the prerequisite somewhere else."""
    chosen = set(cohort.credentials)
    return [(c, p) for c in cohort.credentials for p in c.prerequisites if p not in chosen]


def update_cohort(
    *, cohort: Cohort, name: str, program: str, description: str, starts_on: date | None, ends_on: date | None,
    stack: Stack, credentials: list[Credential], actor,
) -> Cohort:
    """Change a cohort. A credential a milestone names cannot be dropped until the milestone no longer names it."""
    _check_dates(starts_on, ends_on)
    chosen = _checked_credentials(stack, credentials)
    for milestone in cohort.milestones:
        dropped = [c for c in milestone.credentials if c not in chosen]
        if dropped:
            raise CohortError(
                f"The milestone “{milestone.title}” names “{dropped[0].title}”. Change the milestone first.",
                "credential_ids",
            )
    cohort.name, cohort.program, cohort.description = " ".join(name.split()), " ".join(program.split()), description
    cohort.starts_on, cohort.ends_on, cohort.stack, cohort.credentials = starts_on, ends_on, stack, chosen
    db.session.flush()
    audit.record("cohort.update", actor=actor, subject=cohort, credentials=[c.slug for c in chosen])
    return cohort


def save_milestone(
    *, cohort: Cohort, title: str, due_on: date, credentials: list[Credential], actor,
    milestone: Milestone | None = None,
) -> Milestone:
    """Create (milestone=None) or change a milestone: credentials of the cohort to earn by due_on."""
    if not credentials:
        raise CohortError("Choose at least one credential.", "credential_ids")
    if any(c not in cohort.credentials for c in credentials):
        raise CohortError("Choose credentials this cohort works toward.", "credential_ids")
    milestone = milestone or Milestone(cohort=cohort)
    milestone.title, milestone.due_on = " ".join(title.split()), due_on
    milestone.credentials = sorted(credentials, key=lambda c: c.position)
    db.session.add(milestone)
    db.session.flush()
    audit.record("cohort.milestone", actor=actor, subject=cohort, milestone=milestone.id, due_on=due_on.isoformat())
    return milestone


def delete_milestone(*, cohort: Cohort, milestone: Milestone, actor) -> None:
    cohort.milestones.remove(milestone)
    db.session.flush()
    audit.record("cohort.milestone_delete", actor=actor, subject=cohort, title=milestone.title)


def record_export(*, cohort: Cohort, table: str, actor) -> None:
    """Exports carry personal data (names, emails, states), so each one is in the audit log."""
    audit.record("cohort.export", actor=actor, subject=cohort, table=table)


# ---------- overview ----------

@dataclass
class CohortLine:
    cohort: Cohort
    members: int
    earned: int  # (member, credential) pairs earned
    in_review: int
    not_yet: int
    next_milestone: Milestone | None

    @property
    def possible(self) -> int:
        return self.members * len(self.cohort.credentials)

    @property
    def percent_earned(self) -> float | None:
        return round(100 * self.earned / self.possible, 1) if self.possible else None


def overview(page: int, today: date):
    """A page of cohorts (latest start first) with their figures: four queries for any number of cohorts."""
    pagination = db.paginate(
        select(Cohort).order_by(Cohort.starts_on.desc().nulls_last(), Cohort.id.desc()),
        page=page, per_page=OVERVIEW_PER_PAGE, error_out=False,
    )
    ids = [c.id for c in pagination.items]
    members, states = {}, {}
    if ids:
        members = dict(db.session.execute(
            select(Membership.cohort_id, func.count())
            .where(Membership.cohort_id.in_(ids))
            .group_by(Membership.cohort_id)
        ).all())
        c = queries.cells(ids)
        category = queries.category(c.c.state)
        for cohort_id, cat, n in db.session.execute(select(c.c.cohort_id, category, func.count()).group_by(
            c.c.cohort_id, category
        )):
            states[(cohort_id, cat)] = n
    lines = [
        CohortLine(
            cohort, members.get(cohort.id, 0), states.get((cohort.id, "earned"), 0),
            states.get((cohort.id, "in_review"), 0), states.get((cohort.id, "not_yet"), 0),
            next((m for m in cohort.milestones if m.due_on >= today), None),
        )
        for cohort in pagination.items
    ]
    return pagination, lines


_COHORT_NAMES = (
    select(Membership.user_id, Cohort.name).join(Cohort, Cohort.id == Membership.cohort_id)
    .where(Membership.user_id.in_(bindparam("user_ids", expanding=True))).order_by(Cohort.name)
)


def cohort_names_by_member(user_ids) -> dict[int, list[str]]:
    """user -> the names of the cohorts they belong to, for lists that show many people at once. The statement
    is built once, and read on the connection: its rows are plain columns."""
    rows = db.session.connection().execute(_COHORT_NAMES, {"user_ids": list(user_ids)})
    names: dict[int, list[str]] = {}
    for user_id, name in rows:
        names.setdefault(user_id, []).append(name)
    return names


def cohort_choices() -> list[tuple[int, str]]:
    """(id, name) of every cohort, by name, for filters on other pages."""
    return [(cid, name) for cid, name in db.session.execute(select(Cohort.id, Cohort.name).order_by(Cohort.name))]


def member_ids(cohort_id: int):
    """A SELECT of the user ids of a cohort's members, for other lists to filter by (as a subquery)."""
    return select(Membership.user_id).where(Membership.cohort_id == cohort_id)


def stacks() -> list[Stack]:
    return list(db.session.scalars(select(Stack).order_by(Stack.title)))


def credentials_by_id(ids: list[int]) -> list[Credential]:
    if not ids:
        return []
    return list(db.session.scalars(select(Credential).where(Credential.id.in_(ids)).order_by(Credential.position)))
