"""Cohort fixtures: a staff member, cohorts built through the services, members, self-reported fields."""

from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from portal.accounts.models import User
from portal.accounts.services import get_or_create_organization
from portal.audit import utcnow
from portal.cohorts import services
from portal.cohorts.models import Membership, ProfileAnswer, ProfileField
from portal.cohorts.profile import seed_profile_fields
from portal.extensions import db
from portal.reviews.models import PartResult, Review
from portal.submissions.models import State, Submission, Version


@pytest.fixture
def staff(make_user):
    return make_user(name="Morgan Lee", roles=("staff",), organization="CoSN Program Office")


@pytest.fixture
def make_cohort(stack, credential, staff):
    def make(name="Data Equity Cohort 2025", slugs=(), milestones=(), **values):
        defaults = dict(program="Digital Equity", description="", starts_on=date(2025, 1, 6),
                        ends_on=date(2025, 12, 19))
        cohort = services.create_cohort(
            name=name, stack=credential("foundations").stack, credentials=[credential(s) for s in slugs],
            actor=staff, **{**defaults, **values},
        )
        for title, due_on, milestone_slugs in milestones:
            services.save_milestone(cohort=cohort, title=title, due_on=due_on,
                                    credentials=[credential(s) for s in milestone_slugs], actor=staff)
        db.session.commit()
        return cohort

    return make


@pytest.fixture
def join(app):
    """Put existing users in a cohort directly (the roster import has its own tests)."""

    def add(cohort, *users, role="Director of Technology"):
        for user in users:
            db.session.add(Membership(cohort_id=cohort.id, user_id=user.id, district_role=role))
        db.session.commit()

    return add


@pytest.fixture
def fields(app):
    seed_profile_fields()
    db.session.commit()


@pytest.fixture
def today():
    return utcnow().date()  # the dashboard's idea of today


@pytest.fixture
def yesterday(today):
    return today - timedelta(days=1)


@pytest.fixture
def next_month(today):
    return today + timedelta(days=30)



@pytest.fixture
def bulk(app, credential, make_user):
    """Add n members to a cohort with bulk inserts (no password hashing, no per-row flush).

    states: cycled over the members, the state of their credential-1 submission: None (not started),
    a State value, or "revised" (not yet on version 1, earned on version 2). answers: field key -> a
    function of the member's index giving the answer (None: no answer)."""
    reviewer = make_user(name="Bulk Reviewer", roles=("reviewer",), organization="Elsewhere")

    def add(cohort, n, *, prefix="member", organizations=("Org A",), states=(None,), answers=None, slug="foundations"):
        orgs = [get_or_create_organization(name) for name in organizations]
        db.session.flush()
        now = utcnow()
        user_ids = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
            dict(email=f"{prefix}{i}@example.org", name=f"{prefix.title()} {i:04d}",
                 organization_id=orgs[i % len(orgs)].id, password_hash="!bulk", is_educator=True, is_reviewer=False,
                 is_staff=False, created_at=now)
            for i in range(n)
        ]).all()
        db.session.execute(insert(Membership), [
            dict(cohort_id=cohort.id, user_id=uid, district_role="Teacher leader", joined_at=now) for uid in user_ids
        ])
        _answers(user_ids, answers or {})
        _submissions(user_ids, states, credential(slug), reviewer, now)
        db.session.commit()
        return user_ids

    return add


def _answers(user_ids, answers):
    fields = {f.key: f.id for f in db.session.scalars(select(ProfileField))}
    rows = [
        dict(user_id=uid, field_id=fields[key], value=value, updated_at=utcnow())
        for key, pick in answers.items() for i, uid in enumerate(user_ids) if (value := pick(i)) is not None
    ]
    if rows:
        db.session.execute(insert(ProfileAnswer), rows)


def _versions_for(state, now):
    decided = now - timedelta(days=1)
    submitted = now - timedelta(days=3)
    if state == "revised":
        return [("not_yet", submitted, decided), ("earned", submitted, now)]
    if state == State.DRAFT:
        return [("draft", None, None)]
    if state in (State.SUBMITTED, State.IN_REVIEW, State.WITHDRAWN):
        return [(state.value, submitted, None)]
    return [(state.value, submitted, decided)]


def _submissions(user_ids, states, credential, reviewer, now):
    chosen = [(uid, states[i % len(states)]) for i, uid in enumerate(user_ids) if states[i % len(states)]]
    if not chosen:
        return
    submission_ids = db.session.scalars(insert(Submission).returning(Submission.id, sort_by_parameter_order=True), [
        dict(educator_id=uid, credential_id=credential.id, created_at=now) for uid, _ in chosen
    ]).all()
    rows = [
        dict(submission_id=sid, number=number, requirements_id=credential.requirements.id, state=state, answers={},
             revision=1, created_at=now, saved_at=now, submitted_at=submitted, decided_at=decided)
        for sid, (_, wanted) in zip(submission_ids, chosen, strict=True)
        for number, (state, submitted, decided) in enumerate(_versions_for(wanted, now), start=1)
    ]
    version_ids = db.session.scalars(insert(Version).returning(Version.id, sort_by_parameter_order=True), rows).all()
    not_yet = [vid for vid, row in zip(version_ids, rows, strict=True) if row["state"] == "not_yet"]
    if not_yet:
        review_ids = db.session.scalars(insert(Review).returning(Review.id, sort_by_parameter_order=True), [
            dict(version_id=vid, reviewer_id=reviewer.id, is_adjudication=False, created_at=now, confirmed_at=now)
            for vid in not_yet
        ]).all()
        db.session.execute(insert(PartResult), [
            dict(review_id=rid, part_key=key, result=result, feedback="")
            for rid in review_ids for key, result in (("overview", "not_yet"), ("reflection", "yes"))
        ])
