"""SQL building blocks of the cohort reports: one row per (member, credential) state, groups of members,
and aggregates over them. Everything aggregates in the database; no query runs once per member."""

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.sql import ColumnElement, Select, Subquery

from portal.accounts.models import Organization, User
from portal.cohorts.models import Membership, ProfileAnswer, cohort_credentials
from portal.cohorts.profile import PREFER_NOT
from portal.extensions import db
from portal.submissions.models import State, Submission, Version

IN_REVIEW_STATES = (State.SUBMITTED.value, State.IN_REVIEW.value)
DECIDED_STATES = (State.EARNED.value, State.NOT_YET.value)
NO_ORGANIZATION = "No organization"
NO_ANSWER = f"{PREFER_NOT} or no answer"


def cells(cohort_ids: list[int]) -> Subquery:
    """(cohort_id, user_id, credential_id, submission_id, state, number): the latest version of each member's
    latest submission of each cohort credential. A (member, credential) with no row has not been started.

    The latest submission is the open one when there is one: a new submission only starts after the
    previous one was withdrawn."""
    latest = (
        select(
            Membership.cohort_id, Submission.educator_id.label("user_id"), Submission.credential_id,
            func.max(Submission.id).label("submission_id"),
        )
        .join(Membership, Membership.user_id == Submission.educator_id)
        .join(cohort_credentials, and_(
            cohort_credentials.c.cohort_id == Membership.cohort_id,
            cohort_credentials.c.credential_id == Submission.credential_id,
        ))
        .where(Membership.cohort_id.in_(cohort_ids))
        .group_by(Membership.cohort_id, Submission.educator_id, Submission.credential_id)
        .subquery("latest")
    )
    last = (
        select(Version.submission_id, func.max(Version.number).label("number"))
        .where(Version.submission_id.in_(select(latest.c.submission_id)))
        .group_by(Version.submission_id)
        .subquery("last")
    )
    return (
        select(latest, Version.state, Version.number)
        .join(last, last.c.submission_id == latest.c.submission_id)
        .join(Version, and_(Version.submission_id == last.c.submission_id, Version.number == last.c.number))
        .subquery("cells")
    )


def category(state: ColumnElement) -> ColumnElement:
    """The dashboard's five headings: earned, in_review (submitted or in review), not_yet, draft, not_started."""
    return case(
        (state.in_(IN_REVIEW_STATES), "in_review"),
        (state == State.WITHDRAWN.value, "not_started"),
        else_=state,
    )


# ---------- groups of members: (user_id, grp) ----------

def everyone(cohort_id: int) -> Subquery:
    return select(Membership.user_id, literal_column("'all'").label("grp")).where(
        Membership.cohort_id == cohort_id
    ).subquery("groups")


def by_organization(cohort_id: int) -> Subquery:
    grp = func.coalesce(Organization.name, NO_ORGANIZATION)
    return (
        select(Membership.user_id, grp.label("grp"))
        .join(User, User.id == Membership.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(Membership.cohort_id == cohort_id)
        .subquery("groups")
    )


def by_answer(cohort_id: int, field_id: int) -> Subquery:
    """"Prefer not to say" and no answer are one group: neither tells anything about the person."""
    value = ProfileAnswer.value
    grp = case((or_(value.is_(None), value == PREFER_NOT), NO_ANSWER), else_=value)
    return (
        select(Membership.user_id, grp.label("grp"))
        .outerjoin(ProfileAnswer, and_(ProfileAnswer.user_id == Membership.user_id, ProfileAnswer.field_id == field_id))
        .where(Membership.cohort_id == cohort_id)
        .subquery("groups")
    )


# ---------- aggregates per group ----------

def member_counts(groups: Subquery) -> dict[str, int]:
    query = select(groups.c.grp, func.count()).group_by(groups.c.grp)
    return dict(db.session.execute(query).all())


def state_counts(cohort_id: int, groups: Subquery) -> list[tuple[str, int, str, bool, int]]:
    """(grp, credential_id, category, revised, count). revised: the current version is not the first, so an
    earlier version was submitted and decided."""
    c = cells([cohort_id])
    cat, revised = category(c.c.state), c.c.number > 1
    query = (
        select(groups.c.grp, c.c.credential_id, cat, revised, func.count())
        .select_from(groups)
        .join(c, c.c.user_id == groups.c.user_id)
        .group_by(groups.c.grp, c.c.credential_id, cat, revised)
    )
    return [tuple(row) for row in db.session.execute(query)]


def member_versions(cohort_id: int, groups: Subquery) -> Select:
    """Every version of the group members' submissions of the cohort's credentials."""
    return (
        select()
        .select_from(groups)
        .join(Submission, Submission.educator_id == groups.c.user_id)
        .join(cohort_credentials, and_(
            cohort_credentials.c.cohort_id == cohort_id, cohort_credentials.c.credential_id == Submission.credential_id
        ))
        .join(Version, Version.submission_id == Submission.id)
    )


def first_attempts(cohort_id: int, groups: Subquery) -> dict[str, tuple[int, int]]:
    """grp -> (earned on version 1, decided version 1s)."""
    earned = func.sum(case((Version.state == State.EARNED.value, 1), else_=0))
    query = (
        member_versions(cohort_id, groups)
        .add_columns(groups.c.grp, earned, func.count())
        .where(Version.number == 1, Version.state.in_(DECIDED_STATES))
        .group_by(groups.c.grp)
    )
    return {grp: (int(e or 0), n) for grp, e, n in db.session.execute(query)}


def days_between(start: ColumnElement, end: ColumnElement) -> ColumnElement:
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def median_days(cohort_id: int, groups: Subquery, *, by_credential: bool = False) -> dict:
    """Median days from submission to decision over every decided version, per group (or per credential).
    Portable SQL: rank the durations in each group with window functions, average the middle one or two."""
    key = Submission.credential_id if by_credential else groups.c.grp
    durations = (
        member_versions(cohort_id, groups)
        .add_columns(key.label("key"), days_between(Version.submitted_at, Version.decided_at).label("days"))
        .where(Version.decided_at.is_not(None), Version.submitted_at.is_not(None))
        .subquery("durations")
    )
    ranked = select(
        durations.c.key, durations.c.days,
        func.row_number().over(partition_by=durations.c.key, order_by=durations.c.days).label("rank"),
        func.count().over(partition_by=durations.c.key).label("n"),
    ).subquery("ranked")
    middle = or_(ranked.c.rank == (ranked.c.n + 1) // 2, ranked.c.rank == (ranked.c.n + 2) // 2)
    query = select(ranked.c.key, func.avg(ranked.c.days)).where(middle).group_by(ranked.c.key)
    return {key: float(days) for key, days in db.session.execute(query)}


def earned_counts(cohort_id: int, groups: Subquery) -> dict[tuple[str, int], int]:
    """(grp, credential_id) -> members whose latest submission is earned."""
    c = cells([cohort_id])
    query = (
        select(groups.c.grp, c.c.credential_id, func.count())
        .select_from(groups)
        .join(c, c.c.user_id == groups.c.user_id)
        .where(c.c.state == State.EARNED.value)
        .group_by(groups.c.grp, c.c.credential_id)
    )
    return {(grp, credential_id): n for grp, credential_id, n in db.session.execute(query)}
