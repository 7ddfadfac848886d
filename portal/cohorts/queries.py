"""SQL building blocks of the cohort reports: one row per (member, credential) state, groups of members,
aggregates over them, and the rows of the members' versions that the dashboard counts itself. Every query starts
from the cohort's memberships; none runs once per member."""

from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.sql import ColumnElement, Select, Subquery

from portal.accounts.models import Organization, User
from portal.cohorts.models import Membership, ProfileAnswer, ProfileField, cohort_credentials
from portal.cohorts.profile import PREFER_NOT
from portal.extensions import db
from portal.submissions.models import State, Submission, Version

IN_REVIEW_STATES = (State.SUBMITTED.value, State.IN_REVIEW.value)
NO_ORGANIZATION = "No organization"
NO_ANSWER = f"{PREFER_NOT} or no answer"
ALL = "all"  # the breakdown, and the only group, of the whole cohort
ORGANIZATION = "organization"  # the breakdown by organization; a breakdown by a self-reported field is its key


def cells(cohort_ids: list[int]) -> Subquery:
    return latest_states(cohort_ids).subquery("cells")


def latest_states(cohort_ids: list[int], user_ids: Select | None = None) -> Select:
    """(cohort_id, user_id, credential_id, submission_id, state, number): the latest version of each member's
    latest submission of each cohort credential (of the members user_ids selects, when given). A (member,
    credential) with no row has not been started.

    The latest submission is the open one when there is one: a new submission only starts after the
    previous one was withdrawn."""
    latest_first = func.row_number().over(
        partition_by=(Membership.cohort_id, Submission.educator_id, Submission.credential_id),
        order_by=(Submission.id.desc(), Version.number.desc()),
    )
    ranked = (
        select(
            Membership.cohort_id, Submission.educator_id.label("user_id"), Submission.credential_id,
            Submission.id.label("submission_id"), Version.state, Version.number, latest_first.label("n"),
        )
        .select_from(Membership)
        .join(Submission, Submission.educator_id == Membership.user_id)
        .join(cohort_credentials, and_(
            cohort_credentials.c.cohort_id == Membership.cohort_id,
            cohort_credentials.c.credential_id == Submission.credential_id,
        ))
        .join(Version, Version.submission_id == Submission.id)
        .where(Membership.cohort_id.in_(cohort_ids))
        .where(Membership.user_id.in_(user_ids) if user_ids is not None else literal(True))
        .subquery("ranked")
    )
    columns = [ranked.c[name] for name in ("cohort_id", "user_id", "credential_id", "submission_id", "state", "number")]
    return select(*columns).where(ranked.c.n == 1)


def category(state: ColumnElement) -> ColumnElement:
    """The dashboard's five headings: earned, in_review (submitted or in review), not_yet, draft, not_started."""
    return case(
        (state.in_(IN_REVIEW_STATES), "in_review"),
        (state == State.WITHDRAWN.value, "not_started"),
        else_=state,
    )


# ---------- groups of members: (breakdown, user_id, grp) ----------
# A breakdown puts each member in one group. Several breakdowns go into one union, so the aggregates below
# take the same number of queries for every breakdown of the cohort as for one.

def everyone(cohort_id: int) -> Select:
    return select(literal(ALL).label("breakdown"), Membership.user_id, literal(ALL).label("grp")).where(
        Membership.cohort_id == cohort_id
    )


def by_organization(cohort_id: int) -> Select:
    grp = func.coalesce(Organization.name, NO_ORGANIZATION)
    return (
        select(literal(ORGANIZATION).label("breakdown"), Membership.user_id, grp.label("grp"))
        .join(User, User.id == Membership.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(Membership.cohort_id == cohort_id)
    )


def by_answer(cohort_id: int, field: ProfileField) -> Select:
    """"Prefer not to say" and no answer are one group: neither tells anything about the person."""
    value = ProfileAnswer.value
    grp = case((or_(value.is_(None), value == PREFER_NOT), NO_ANSWER), else_=value)
    return (
        select(literal(field.key).label("breakdown"), Membership.user_id, grp.label("grp"))
        .outerjoin(ProfileAnswer, and_(ProfileAnswer.user_id == Membership.user_id, ProfileAnswer.field_id == field.id))
        .where(Membership.cohort_id == cohort_id)
    )


def groups(*breakdowns: Select) -> Subquery:
    return (union_all(*breakdowns) if len(breakdowns) > 1 else breakdowns[0]).subquery("groups")


def member_ids(cohort_id: int) -> list[int]:
    return list(db.session.scalars(select(Membership.user_id).where(Membership.cohort_id == cohort_id)))


def members(cohort_id: int) -> Subquery:
    """The cohort's members as groups: the one group ALL."""
    return groups(everyone(cohort_id))


# ---------- aggregates ----------

@dataclass
class GroupFigures:
    members: int = 0
    first_earned: int = 0  # versions 1 earned ...
    first_decided: int = 0  # ... of the versions 1 decided
    median_days: float | None = None  # from submission to decision, over every decided version
    decided: int = 0  # decided versions: the base of median_days


def group_figures(cohort_id: int, groups: Subquery) -> dict[tuple[str, str], GroupFigures]:
    """(breakdown, grp) -> the group's GroupFigures, in one query. A group without members has no entry."""
    by_group = (groups.c.breakdown, groups.c.grp)
    sizes = select(*by_group, func.count().label("members")).group_by(*by_group).subquery("sizes")
    decided = decided_by(durations(cohort_id, groups, *by_group), "breakdown", "grp")
    query = (
        select(sizes.c.breakdown, sizes.c.grp, sizes.c.members, decided.c.first_earned, decided.c.first_decided,
               decided.c.days, decided.c.decided)
        .select_from(sizes)
        .outerjoin(decided, and_(decided.c.breakdown == sizes.c.breakdown, decided.c.grp == sizes.c.grp))
    )
    return {
        (breakdown, grp): GroupFigures(n, int(e or 0), int(d or 0), None if days is None else float(days), int(k or 0))
        for breakdown, grp, n, e, d, days, k in db.session.execute(query)
    }


def earned_counts(cohort_id: int, groups: Subquery) -> dict[tuple[str, str, int], int]:
    """(breakdown, grp, credential_id) -> members whose latest submission is earned."""
    c = cells([cohort_id])
    query = (
        select(groups.c.breakdown, groups.c.grp, c.c.credential_id, func.count())
        .select_from(groups)
        .join(c, c.c.user_id == groups.c.user_id)
        .where(c.c.state == State.EARNED.value)
        .group_by(groups.c.breakdown, groups.c.grp, c.c.credential_id)
    )
    return {(breakdown, grp, cid): n for breakdown, grp, cid, n in db.session.execute(query)}


def member_versions(cohort_id: int, groups: Subquery) -> Select:
    """Every version of the group members' submissions of the cohort's credentials, found from the members (the
    cohort is small; the submissions may be many)."""
    return (
        select()
        .select_from(groups)
        .join(Submission, Submission.educator_id == groups.c.user_id)
        .join(cohort_credentials, and_(
            cohort_credentials.c.cohort_id == cohort_id, cohort_credentials.c.credential_id == Submission.credential_id
        ))
        .join(Version, Version.submission_id == Submission.id)
    )


def credential_states(cohort_id: int) -> Select:
    """(credential_id, category, revised, members, median_days): how many members are in each state of each
    credential. revised: the current version is not the first, so an earlier version was submitted and decided.
    median_days: the credential's (the same on each of its rows), over every decided version of the members; a
    credential nobody started has no rows, and no decided version either."""
    c = cells([cohort_id])
    decided = decided_by(
        durations(cohort_id, members(cohort_id), Submission.credential_id.label("credential_id")), "credential_id"
    )
    cat, revised = category(c.c.state), c.c.number > 1
    return (
        select(c.c.credential_id, cat.label("category"), revised.label("revised"), func.count().label("members"),
               decided.c.days.label("median_days"))
        .select_from(c)
        .outerjoin(decided, decided.c.credential_id == c.c.credential_id)
        .group_by(c.c.credential_id, cat, revised, decided.c.days)
    )


def days_between(start: ColumnElement, end: ColumnElement) -> ColumnElement:
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def durations(cohort_id: int, groups: Subquery, *keys: ColumnElement) -> Subquery:
    """(*keys, number, state, days): every decided version of the group members, with the days from its
    submission to its decision. (A version is decided exactly when it is earned or not yet: see the CHECK
    constraints of submission_versions.)"""
    return (
        member_versions(cohort_id, groups)
        .add_columns(*keys, Version.number, Version.state,
                     days_between(Version.submitted_at, Version.decided_at).label("days"))
        .where(Version.decided_at.is_not(None), Version.submitted_at.is_not(None))
        .subquery("durations")
    )


def decided_by(durations: Subquery, *keys: str) -> Subquery:
    """(*keys, first_earned, first_decided, days, decided) per keys, in one pass over the durations: versions 1
    earned and decided, counted with CASE, the median days and how many versions it rests on. Portable SQL: rank
    the durations of each key with window functions, average the middle one or two."""
    partition = [durations.c[key] for key in keys]
    ranked = select(
        *partition, durations.c.number, durations.c.state, durations.c.days,
        func.row_number().over(partition_by=partition, order_by=durations.c.days).label("rank"),
        func.count().over(partition_by=partition).label("n"),
    ).subquery("ranked")
    r = ranked.c
    first, middle = r.number == 1, or_(r.rank == (r.n + 1) // 2, r.rank == (r.n + 2) // 2)
    return (
        select(
            *[r[key] for key in keys],
            func.sum(case((and_(first, r.state == State.EARNED.value), 1), else_=0)).label("first_earned"),
            func.sum(case((first, 1), else_=0)).label("first_decided"),
            func.avg(case((middle, r.days))).label("days"),
            func.count().label("decided"),
        )
        .group_by(*[r[key] for key in keys])
        .subquery("decided")
    )
