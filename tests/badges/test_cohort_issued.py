"""The cohort dashboard counts the credentials issued to its members: the cohort's credentials and its stack's
credential, in force and revoked; nobody else's and no other credential."""

import csv
import io
from datetime import datetime

import pytest

from portal.cohorts import dashboard
from portal.cohorts.models import Membership
from portal.cohorts.services import create_cohort
from portal.extensions import db


@pytest.fixture
def cohort(credential, staff, make_user, issued_row):
    cohort = create_cohort(
        name="Spring cohort", program="", description="", starts_on=None, ends_on=None,
        stack=credential("foundations").stack, credentials=[credential("foundations"),
                                                            credential("identifying-challenges")], actor=staff,
    )
    ada, ben, xan = make_user(name="Ada"), make_user(name="Ben"), make_user(name="Xan")
    db.session.add_all([Membership(cohort_id=cohort.id, user_id=user.id) for user in (ada, ben)])
    db.session.commit()
    issued_row(ada, "foundations")
    issued_row(ada, "identifying-challenges", revoked_at=datetime(2026, 10, 1), reason="Error")
    issued_row(ada, stack=True)
    issued_row(ada, "engaging-stakeholders")  # not one of the cohort's credentials
    issued_row(ben, "foundations")
    issued_row(xan, "foundations")  # not a member
    return cohort


def test_issued_figures_count_members_cohort_credentials_and_the_stack(cohort):
    figures = dashboard.issued_figures(cohort)
    assert (figures.issued, figures.revoked, figures.in_force) == (4, 1, 3)


def test_issued_figures_of_an_empty_cohort_are_zero(credential, staff):
    empty = create_cohort(name="Empty", program="", description="", starts_on=None, ends_on=None,
                          stack=credential("foundations").stack, credentials=[], actor=staff)
    assert dashboard.issued_figures(empty) == dashboard.IssuedFigures(0, 0)


def test_dashboard_shows_the_credentials_issued(client, login_as, staff, cohort):
    login_as(staff)
    html = client.get(f"/staff/cohorts/{cohort.id}").get_data(as_text=True)
    assert ('<span class="figure-value">3</span><span class="figure-label">credentials issued to members and in '
            'force (1 more revoked)</span>') in html


def test_timing_export_has_the_credentials_issued(client, login_as, staff, cohort):
    login_as(staff)
    text = client.get(f"/staff/cohorts/{cohort.id}/export/timing.csv").get_data(as_text=True)
    rows = {row[0]: row[1] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))}
    assert (rows["Credentials issued and in force"], rows["Credentials issued, since revoked"]) == ("3", "1")
