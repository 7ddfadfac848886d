"""Demo data for cohorts, called from portal/demo.py: the self-reported fields and one cohort. Safe to run again."""

from datetime import timedelta

from sqlalchemy import select

from portal.audit import utcnow
from portal.catalog.models import Stack
from portal.cohorts import services
from portal.cohorts.models import Cohort, Membership
from portal.cohorts.profile import seed_profile_fields
from portal.extensions import db

DEMO_COHORT = "Data Equity Cohort (demo)"


def seed_demo_cohort(*, staff, members: list[tuple]) -> Cohort | None:
    """Seed the self-reported fields and a cohort working toward the Digital Equity stack, with two milestones,
    and put members (pairs of user and district role) in it. Memberships are added directly: no email is queued.
    Returns None when the stack is not loaded."""
    seed_profile_fields()
    stack = db.session.scalar(select(Stack).where(Stack.slug == "digital-equity"))
    if stack is None:
        return None
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == DEMO_COHORT)) or _create(stack, staff)
    present = set(db.session.scalars(select(Membership.user_id).where(Membership.cohort_id == cohort.id)))
    for user, role in members:
        if user.id not in present:
            db.session.add(Membership(cohort_id=cohort.id, user_id=user.id, district_role=role))
    db.session.flush()
    return cohort


def _create(stack: Stack, staff) -> Cohort:
    today = utcnow().date()
    cohort = services.create_cohort(
        name=DEMO_COHORT, program="Data Equity", stack=stack, credentials=[], actor=staff,
        description="District teams of 3-5 leaders work through the Digital Equity stack together.",
        starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=240),
    )
    first_two = [c for c in cohort.credentials if c.position <= 2]
    services.save_milestone(cohort=cohort, title="Credentials 1-2 earned", due_on=today + timedelta(days=60),
                            credentials=first_two, actor=staff)
    plan = [c for c in cohort.credentials if c.slug == "district-plan"]
    if plan:
        services.save_milestone(cohort=cohort, title="District plan earned", due_on=today + timedelta(days=180),
                                credentials=plan, actor=staff)
    return cohort
