"""The staff list of issued credentials: filters, paging, CSV export, and who may reach it."""

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.badges.models import IssuedCredential
from portal.cohorts.models import Membership
from portal.cohorts.services import create_cohort
from portal.extensions import db

LIST = "/staff/credentials"
EXPORT = "/staff/credentials.csv"


@pytest.fixture
def people(make_user):
    return {
        "ana": make_user(name="Ana Ortiz", email="ana@example.org"),
        "ben": make_user(name="Ben Okafor", email="ben@example.org"),
        "cy": make_user(name="=HYPERLINK(\"http://evil.example\")", email="cy@example.org", organization="+Org"),
    }


@pytest.fixture
def cohort_of_ana(credential, staff, people):
    cohort = create_cohort(
        name="Fall cohort", program="", description="", starts_on=None, ends_on=None,
        stack=credential("foundations").stack, credentials=[credential("foundations")], actor=staff,
    )
    db.session.add(Membership(cohort_id=cohort.id, user_id=people["ana"].id))
    db.session.commit()
    return cohort


@pytest.fixture
def rows(issued_row, people, staff, cohort_of_ana):
    return {
        "ana": issued_row(people["ana"], "foundations", issued_at=datetime(2026, 9, 1, 10)),
        "ana2": issued_row(people["ana"], "identifying-challenges", issued_at=datetime(2026, 10, 5, 23, 59)),
        "ben": issued_row(people["ben"], "foundations", issued_at=datetime(2026, 10, 6, 0, 1),
                          revoked_at=datetime(2026, 10, 20), reason="@SUM(A1) copied work", revoked_by=staff),
        "cy": issued_row(people["cy"], "foundations", stack=True, issued_at=datetime(2026, 11, 1), public=True),
    }


def listed(response) -> list[int]:
    text = response.get_data(as_text=True)
    return sorted(int(part.split('"')[0]) for part in text.split('id="issued-')[1:])


def ids(*rows) -> list[int]:
    return sorted(row.id for row in rows)


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["ana", "ana2", "ben", "cy"]),
    ("?status=valid", ["ana", "ana2", "cy"]),
    ("?status=revoked", ["ben"]),
    ("?issued_from=2026-10-05&issued_to=2026-10-05", ["ana2"]),
    ("?issued_from=2026-10-06", ["ben", "cy"]),
    ("?issued_to=2026-10-06", ["ana", "ana2", "ben"]),
    ("?cohort={cohort}", ["ana", "ana2"]),
    ("?credential=c{foundations}", ["ana", "ben"]),
    ("?credential=s{stack}", ["cy"]),
    ("?credential=c{foundations}&status=valid&cohort={cohort}", ["ana"]),
])
def test_list_filters(client, login_as, staff, rows, credential, cohort_of_ana, query, expected):
    login_as(staff)
    found = credential("foundations")
    url = LIST + query.format(cohort=cohort_of_ana.id, foundations=found.id, stack=found.stack_id)
    response = client.get(url)
    assert response.status_code == 200
    assert listed(response) == ids(*(rows[name] for name in expected))


EVERYONE = ["ana", "ana2", "ben", "cy"]


@pytest.mark.parametrize(("query", "message", "expected"), [
    ("?issued_from=30/09/2026", "Enter a date like 2026-09-30. This filter was not applied.", EVERYONE),
    # The first date still applies; the second, which contradicts it, does not.
    ("?issued_from=2026-10-10&issued_to=2026-10-01", "This date is before the first one.", ["cy"]),
    ("?credential=c999999", "Not a valid choice.", EVERYONE),
    ("?status=deleted", "Not a valid choice.", EVERYONE),
])
def test_list_bad_filter_is_said_next_to_its_field_and_not_applied(client, login_as, staff, rows, query, message,
                                                                   expected):
    login_as(staff)
    response = client.get(LIST + query)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert listed(response) == ids(*(rows[name] for name in expected))


def test_list_shows_status_sharing_and_revoke_link(client, login_as, staff, rows):
    login_as(staff)
    html = client.get(LIST).get_data(as_text=True)
    ben = html.split(f'id="issued-{rows["ben"].id}"')[1].split("</tr>")[0]
    assert "Revoked" in ben and "20 Oct 2026" in ben and "/revoke" not in ben
    ana = html.split(f'id="issued-{rows["ana"].id}"')[1].split("</tr>")[0]
    assert "Valid" in ana and "Hidden" in ana and f"/staff/credentials/{rows['ana'].id}/revoke" in ana
    assert "Fall cohort" in ana
    cy = html.split(f'id="issued-{rows["cy"].id}"')[1].split("</tr>")[0]
    assert f"/credentials/{rows['cy'].share_token}" in cy and "whole stack" in cy


def test_list_pages_newest_first(client, login_as, staff, issued_row, people, monkeypatch):
    from portal.badges import staff_views

    monkeypatch.setattr(staff_views, "PER_PAGE", 2)
    made = [issued_row(people["ana"], slug) for slug in
            ("foundations", "identifying-challenges", "engaging-stakeholders")]
    login_as(staff)
    first = client.get(LIST)
    assert listed(first) == ids(made[1], made[2])
    assert f"before={made[1].id}" in first.get_data(as_text=True)
    second = client.get(f"{LIST}?before={made[1].id}")
    assert listed(second) == ids(made[0])


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_export_has_every_column_and_neutralizes_formulas(client, login_as, staff, rows):
    login_as(staff)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="credentials-issued-')
    header, *lines = read_csv(response)
    assert header[:4] == ["Credential ID", "Earner", "Email", "Organization"]
    by_id = {line[0]: dict(zip(header, line, strict=True)) for line in lines}
    assert len(by_id) == 4
    cy = by_id[f"urn:uuid:{rows['cy'].uuid}"]
    assert cy["Earner"] == "'=HYPERLINK(\"http://evil.example\")"
    assert cy["Organization"] == "'+Org"
    assert (cy["Credential"], cy["Public page shared"]) == ("Digital Equity", "Yes")
    ben = by_id[f"urn:uuid:{rows['ben'].uuid}"]
    assert (ben["Status"], ben["Revoked (UTC)"], ben["Revocation reason"]) == (
        "Revoked", "2026-10-20 00:00", "'@SUM(A1) copied work")
    ana = by_id[f"urn:uuid:{rows['ana'].uuid}"]
    assert (ana["Email"], ana["Cohorts"], ana["Issued (UTC)"], ana["Status"]) == (
        "ana@example.org", "Fall cohort", "2026-09-01 10:00", "Valid")


def test_export_applies_the_same_filters(client, login_as, staff, rows, cohort_of_ana):
    login_as(staff)
    _, *lines = read_csv(client.get(f"{EXPORT}?cohort={cohort_of_ana.id}&issued_from=2026-10-01"))
    assert [line[0] for line in lines] == [f"urn:uuid:{rows['ana2'].uuid}"]
    _, *lines = read_csv(client.get(f"{EXPORT}?status=revoked"))
    assert [line[0] for line in lines] == [f"urn:uuid:{rows['ben'].uuid}"]


def test_export_is_audited_with_its_filters(client, login_as, staff, rows):
    login_as(staff)
    client.get(f"{EXPORT}?status=revoked")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credentials.exported"))
    assert (event.actor_id, event.detail) == (staff.id, {"filters": {"status": "revoked"}, "rows": 1})


def test_list_query_count_does_not_grow_with_rows(client, login_as, staff, issued_row, people, count_queries):
    login_as(staff)
    issued_row(people["ana"])

    def count() -> int:
        with count_queries() as seen:
            assert client.get(LIST).status_code == 200
        return seen[0]

    one = count()
    for slug in ("identifying-challenges", "engaging-stakeholders", "district-plan"):
        issued_row(people["ben"], slug)
    issued_row(people["cy"], stack=True)
    assert count() == one


# ---------- who may reach these pages ----------

ROLES = [("educator",), ("reviewer",), ("educator", "reviewer")]


@pytest.mark.parametrize("roles", ROLES)
def test_non_staff_get_404_on_every_staff_credentials_page(client, login_as, make_user, rows, roles):
    login_as(make_user(roles=roles))
    target = rows["ana"].id
    for url in (LIST, EXPORT, f"/staff/credentials/{target}/revoke"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/staff/credentials/{target}/revoke", data={"reason": "No"}).status_code == 404
    assert db.session.get(IssuedCredential, target).revoked_at is None


def test_the_earner_cannot_revoke_their_own_credential(client, login_as, people, rows):
    login_as(people["ana"])
    assert client.post(f"/staff/credentials/{rows['ana'].id}/revoke", data={"reason": "x"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(IssuedCredential, rows["ana"].id).revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client, rows):
    for url in (LIST, EXPORT, f"/staff/credentials/{rows['ana'].id}/revoke"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url
    assert client.post(f"/staff/credentials/{rows['ana'].id}/revoke", data={"reason": "x"}).status_code == 302


def test_staff_nav_links_the_list(client, login_as, staff):
    login_as(staff)
    assert 'href="/staff/credentials"' in client.get(LIST).get_data(as_text=True)


@pytest.mark.parametrize(("roles", "revoked", "allowed"), [
    (("staff",), False, True),
    (("staff", "reviewer"), False, True),
    (("educator", "staff"), False, True),
    (("staff",), True, False),  # once revoked, always revoked
    (("educator",), False, False),
    (("reviewer",), False, False),
    (("educator", "reviewer"), False, False),
])
def test_can_revoke_credential(make_user, issued_row, people, roles, revoked, allowed):
    from portal.permissions import can_revoke_credential

    row = issued_row(people["ana"], revoked_at=datetime(2026, 10, 1) if revoked else None)
    assert can_revoke_credential(make_user(roles=roles), row) is allowed


def test_can_revoke_credential_anonymous(issued_row, people):
    from flask_login import AnonymousUserMixin

    from portal.permissions import can_revoke_credential

    assert can_revoke_credential(AnonymousUserMixin(), issued_row(people["ana"])) is False


def test_staff_who_also_reviews_can_revoke_through_the_page(client, login_as, make_user, rows, people):
    login_as(make_user(roles=("staff", "reviewer")))
    assert client.get(f"/staff/credentials/{rows['ana'].id}/revoke").status_code == 200
