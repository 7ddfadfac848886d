import pytest
from sqlalchemy import select

from portal.catalog.models import Stack
from portal.extensions import db
from portal.reviews import services as reviews
from portal.submissions.models import State


@pytest.fixture
def make_reviewer(make_user, stack):
    """A reviewer qualified for the Digital Equity stack."""

    def make(organization="Lakeview Charter Network", capacity=5, is_active=True, name=None, qualified=True):
        user = make_user(name=name, roles=("reviewer",), organization=organization)
        profile = reviews.ensure_profile(user)
        profile.capacity, profile.is_active = capacity, is_active
        profile.stacks = list(db.session.scalars(select(Stack))) if qualified else []
        db.session.commit()
        return user

    return make


@pytest.fixture
def submit_plan(make_user, make_submission):
    """A district-plan version just submitted and routed, as the submit page does it."""

    def submit(educator=None, organization="Riverside Unified School District"):
        educator = educator or make_user(organization=organization)
        submission = make_submission(educator=educator, slug="district-plan", state=State.SUBMITTED)
        reviews.route_submitted(submission.current_version, actor=educator)
        db.session.commit()
        return submission

    return submit


def all_yes(version, feedback=""):
    return {part.key: ("yes", feedback) for part in version.requirements.parts}
