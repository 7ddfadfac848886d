"""CSV exports: formula cells neutralized, the same figures (and suppression) as on screen."""

import csv
import io

import pytest

from portal.csvfile import neutralize, to_csv
from portal.submissions.models import State


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("+1+2", "'+1+2"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Dana", "Dana"), ("a=b", "a=b"), (12, "12"), (None, ""), ("", ""),
])
def test_neutralize(value, expected):
    assert neutralize(value) == expected


def test_to_csv_neutralizes_header_and_cells():
    text = to_csv(["=name"], [["-1"], ["ok"]])
    assert list(csv.reader(io.StringIO(text))) == [["'=name"], ["'-1"], ["ok"]]


def read(response) -> list[list[str]]:
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.fixture
def evil_cohort(make_cohort, make_user, make_submission, join, staff):
    cohort = make_cohort(name="=cmd|' /C calc'!A0", slugs=("foundations", "identifying-challenges"))
    evil = make_user(name="=HYPERLINK(\"http://evil.example\",\"click\")", organization="@Evil District")
    plain = make_user(name="Dana Whitfield", organization="Riverside Unified School District")
    join(cohort, evil, role="+Director")
    join(cohort, plain, role="CTO")
    make_submission(plain, "foundations", State.EARNED, staff)
    return cohort


def test_matrix_export_neutralizes_formulas(client, login_as, staff, evil_cohort):
    login_as(staff)
    response = client.get(f"/staff/cohorts/{evil_cohort.id}/export/matrix.csv")
    assert 'filename="cmd-c-calc-a0-matrix.csv"' in response.headers["Content-Disposition"]
    rows = read(response)
    assert rows[0][:5] == ["Name", "Email", "Organization", "Role", "Earned"]
    by_email = {row[1]: row for row in rows[1:]}
    evil = next(row for email, row in by_email.items() if row[0].startswith("'"))
    assert evil[0] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert evil[2] == "'@Evil District" and evil[3] == "'+Director"
    assert evil[5:] == ["Not started", "Not started"]
    dana = next(row for row in rows[1:] if row[0] == "Dana Whitfield")
    assert dana[4:] == ["1", "Earned", "Not started"]


def test_matrix_export_follows_the_filter(client, login_as, staff, evil_cohort):
    login_as(staff)
    rows = read(client.get(f"/staff/cohorts/{evil_cohort.id}/export/matrix.csv?state=earned"))
    assert [row[0] for row in rows[1:]] == ["Dana Whitfield"]


def test_summary_exports_match_the_dashboard(client, login_as, staff, evil_cohort):
    login_as(staff)
    base = f"/staff/cohorts/{evil_cohort.id}/export"
    credentials = read(client.get(f"{base}/credentials.csv"))
    assert credentials[0] == ["Credential", "Earned", "In review", "Not yet", "Draft", "Not started",
                              "Median days to decision"]
    assert credentials[1][1:6] == ["1", "0", "0", "0", "1"]
    funnel = read(client.get(f"{base}/funnel.csv"))
    assert funnel[1][1:] == ["2", "1", "1", "1", "1"]
    timing = read(client.get(f"{base}/timing.csv"))
    assert timing[1] == ["Members", "2", ""] and timing[3] == ["First-attempt earn rate (%)", "too few to tell", "1"]
    organizations = read(client.get(f"{base}/organization.csv"))
    assert [row[0] for row in organizations[1:]] == ["'@Evil District", "Riverside Unified School District",
                                                       "All members"]
    assert read(client.get(f"{base}/milestones.csv")) == [
        ["Milestone", "Target date", "Credentials", "Met", "On track", "Behind", "Not started"]]
    assert read(client.get(f"{base}/parts.csv"))[0][0] == "Credential"
    assert client.get(f"{base}/nonsense.csv").status_code == 404
