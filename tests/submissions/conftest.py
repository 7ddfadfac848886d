"""Fixtures of the submission tests: a signed-in educator and their district-plan draft."""

import pytest

from portal.submissions.models import State


@pytest.fixture
def educator(make_user, login_as):
    user = make_user(name="Dana Whitfield")
    login_as(user)
    return user


@pytest.fixture
def plan_draft(educator, make_submission):
    make_submission(educator=educator, slug="foundations", state=State.EARNED)
    return make_submission(educator=educator, slug="district-plan", state=State.DRAFT)
