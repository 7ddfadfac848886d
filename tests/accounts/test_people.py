"""The staff People page and `flask accounts create`: who may create accounts, and what gets stored."""

import html
import re

import pytest
from sqlalchemy import func, select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.extensions import db

NEW_ACCOUNT = {
    "name": "Jordan  Reyes",
    "email": "Jordan.Reyes@Example.org",
    "organization": "Lakeview Charter Network",
    "password": "a temporary passphrase",
    "reviewer": "y",
    "staff": "y",
}
DUPLICATE = "An account with this email address already exists."


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def table_rows(page: str) -> list[tuple[str, str, str, str]]:
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", page)
    return [tuple(re.sub(r"<[^>]+>", "", cell) for cell in row) for row in rows]  # names link to the person page


def emails() -> list[str]:
    return db.session.scalars(select(User.email).order_by(User.id)).all()


def audit_actions() -> list[str]:
    return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


@pytest.fixture
def staff(make_user, login_as):
    user = make_user(name="Morgan Lee", roles=("staff", "reviewer"), organization="CoSN Program Office")
    login_as(user)
    return user


# --- the page ----------------------------------------------------------------------


def test_people_page_lists_every_account_with_organization_and_roles(client, make_user, staff):
    make_user(name="Dana Whitfield", email="dana@example.org")
    make_user(name="Priya Raman", email="priya@example.org", roles=("reviewer",), organization="")

    response = client.get("/staff/people")

    assert response.status_code == 200
    assert table_rows(text_of(response)) == [  # newest first
        ("Priya Raman", "priya@example.org", "—", "reviewer"),
        ("Dana Whitfield", "dana@example.org", "Riverside Unified School District", "educator"),
        ("Morgan Lee", staff.email, "CoSN Program Office", "reviewer, staff"),
    ]


def test_staff_create_account_stores_roles_and_audits_the_staff_member(client, staff):
    response = client.post("/staff/people", data=NEW_ACCOUNT)

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/people"
    db.session.expire_all()
    user = accounts.find_user_by_email("jordan.reyes@example.org")
    assert (user.email, user.name, user.organization.name) == (
        "jordan.reyes@example.org", "Jordan Reyes", "Lakeview Charter Network"
    )
    assert user.roles == ["reviewer", "staff"]
    assert accounts.authenticate("jordan.reyes@example.org", "a temporary passphrase") == user
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.create",
                                                       AuditEvent.subject_id == user.id))
    assert (event.actor_id, event.subject_type, event.detail) == (staff.id, "users", {"roles": ["reviewer", "staff"]})
    page = text_of(client.get("/staff/people"))
    assert "Account created for Jordan Reyes (reviewer, staff)." in page
    assert ("Jordan Reyes", "jordan.reyes@example.org", "Lakeview Charter Network", "reviewer, staff") in table_rows(
        page
    )


def test_staff_create_duplicate_email_shows_error_at_the_field_and_keeps_what_was_typed(client, make_user, staff):
    make_user(name="Jordan Reyes", email="jordan.reyes@example.org")
    before = emails()

    response = client.post("/staff/people", data={**NEW_ACCOUNT, "name": "Jordan Q. Reyes"})

    page = text_of(response)
    assert response.status_code == 200
    assert f'<p class="field-error" id="email-error"><span>{DUPLICATE}</span> </p>' in page
    assert re.search(r'<input aria-describedby="email-error" aria-invalid="true"[^>]*value="Jordan.Reyes@Example.org"',
                     page)
    assert 'value="Jordan Q. Reyes"' in page
    assert 'value="Lakeview Charter Network"' in page
    assert re.search(r'<input checked id="staff" name="staff" type="checkbox"', page)
    assert re.search(r'<input checked id="reviewer" name="reviewer" type="checkbox"', page)
    assert re.search(r'<input id="educator" name="educator" type="checkbox"', page)
    assert "a temporary passphrase" not in page  # the password is never echoed back
    assert 'id="name-error"' not in page
    assert emails() == before
    assert audit_actions().count("account.create") == 2  # staff and the existing account; no third


def test_staff_create_missing_fields_shows_each_error_at_its_field(client, staff):
    before = emails()

    response = client.post("/staff/people", data={"name": "", "email": "not-an-email", "password": "", "staff": "y"})

    page = text_of(response)
    assert response.status_code == 200
    assert '<p class="field-error" id="name-error"><span>Enter a name.</span> </p>' in page
    assert '<p class="field-error" id="email-error"><span>Enter a valid email.</span> </p>' in page
    assert '<p class="field-error" id="password-error"><span>Choose a temporary password.</span> </p>' in page
    assert 'value="not-an-email"' in page
    assert emails() == before


@pytest.mark.parametrize("roles", [("educator",), ("reviewer",), ("educator", "reviewer")])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_people_page_refuses_non_staff_with_403_and_creates_nothing(client, make_user, login_as, roles, method):
    login_as(make_user(roles=roles))
    before, audited = emails(), audit_actions()

    response = client.open("/staff/people", method=method, data=NEW_ACCOUNT if method == "POST" else None)

    assert response.status_code == 403
    assert "You do not have access to this page" in text_of(response)
    assert emails() == before
    assert audit_actions() == audited


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_people_page_sends_anonymous_visitors_to_sign_in(client, make_user, method):
    make_user(name="Dana Whitfield", email="dana@example.org")

    response = client.open("/staff/people", method=method, data=NEW_ACCOUNT if method == "POST" else None)

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=%2Fstaff%2Fpeople"
    assert "dana@example.org" not in response.get_data(as_text=True)
    assert emails() == ["dana@example.org"]


def test_staff_navigation_is_shown_to_staff_only(client, make_user, login_as, staff):
    assert '<a href="/staff/"' in text_of(client.get("/my"))  # the main navigation's Staff link: the overview
    assert '<a href="/staff/people"' in text_of(client.get("/staff/submissions"))  # the staff sub-navigation

    login_as(make_user(roles=("reviewer",)))

    page = text_of(client.get("/my"))
    assert "/staff/" not in page and "/staff/people" not in page


# --- queries and pages -------------------------------------------------------------


def test_people_page_query_count_does_not_grow_with_users(client, make_user, staff, count_queries):
    for n in range(2):
        make_user(organization=f"District {n}")
    client.get("/staff/people")  # warm up: first-request work is not what this test measures
    with count_queries() as small:
        assert client.get("/staff/people").status_code == 200
    for n in range(57):
        make_user(organization=f"District {n % 7}", roles=("educator", "reviewer") if n % 3 else ("educator",))

    with count_queries() as large:
        assert client.get("/staff/people").status_code == 200

    assert db.session.scalar(select(func.count()).select_from(User)) == 60
    assert large[0] == small[0]


def test_people_page_pages_by_fifty_newer_and_older(client, make_user, staff):
    for _ in range(59):
        make_user()
    newest_first = emails()[::-1]

    first = text_of(client.get("/staff/people"))
    older_link = re.search(r'href="([^"]*)">Older accounts', first).group(1)
    second = text_of(client.get(older_link))
    newer_link = re.search(r'href="([^"]*)">Newer accounts', second).group(1)

    assert [row[1] for row in table_rows(first)] == newest_first[:50]
    assert [row[1] for row in table_rows(second)] == newest_first[50:]
    assert "Newer accounts" not in first and "Older accounts" not in second
    assert [row[1] for row in table_rows(text_of(client.get(newer_link)))] == newest_first[:50]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "whit"}, ["dana@example.org"]),  # part of a name, any case
        ({"q": "EXAMPLE.NET"}, ["sam@example.net"]),  # part of an email
        ({"q": "a", "role": "educator"}, ["hundred@example.org", "sam@example.net", "dana@example.org"]),
        ({"role": "reviewer"}, ["priya@example.org", "STAFF"]),  # newest first; the signed-in staff reviews too
        ({"q": "100%"}, ["hundred@example.org"]),  # % is a character, not a wildcard
    ],
)
def test_people_search_by_name_or_email_and_role(client, make_user, staff, query, expected):
    make_user(name="Dana Whitfield", email="dana@example.org")
    make_user(name="Sam Ortega", email="sam@example.net")
    make_user(name="Priya Raman", email="priya@example.org", roles=("reviewer",))
    make_user(name="Team 100% Ready", email="hundred@example.org")

    page = text_of(client.get("/staff/people", query_string=query))

    assert [row[1] for row in table_rows(page)] == [staff.email if e == "STAFF" else e for e in expected]
    assert "Show everyone" in page


def test_people_search_without_a_match_says_so_and_keeps_the_words(client, staff):
    page = text_of(client.get("/staff/people", query_string={"q": "Nobody Here"}))

    assert table_rows(page) == []
    assert "No one matches “Nobody Here”." in page
    assert 'value="Nobody Here"' in page


# --- the console -------------------------------------------------------------------


def test_cli_create_with_two_roles_and_prompted_password(app):
    runner = app.test_cli_runner()

    result = runner.invoke(
        args=["accounts", "create", "--email", "Priya@Example.org", "--name", "Priya Raman",
              "--organization", "Lakeview Charter Network", "--role", "reviewer", "--role", "staff"],
        input="a long reviewer passphrase\na long reviewer passphrase\n",
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Created priya@example.org (reviewer, staff)."
    db.session.expire_all()
    user = accounts.find_user_by_email("priya@example.org")
    assert (user.name, user.organization.name, user.roles) == (
        "Priya Raman", "Lakeview Charter Network", ["reviewer", "staff"]
    )
    assert accounts.authenticate("priya@example.org", "a long reviewer passphrase") == user


def test_cli_create_with_password_option(app):
    result = app.test_cli_runner().invoke(
        args=["accounts", "create", "--email", "morgan@example.org", "--name", "Morgan Lee", "--role", "staff",
              "--password", "a long staff passphrase"],
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "Created morgan@example.org (staff).\n"
    assert accounts.find_user_by_email("morgan@example.org").roles == ["staff"]


def test_cli_create_duplicate_email_fails_with_the_message(app, make_user):
    make_user(name="Priya Raman", email="priya@example.org", roles=("educator",))

    result = app.test_cli_runner().invoke(
        args=["accounts", "create", "--email", " PRIYA@example.org ", "--name", "Someone Else", "--role", "staff",
              "--password", "a long staff passphrase"],
    )

    assert result.exit_code == 1
    assert result.stderr == f"Error: {DUPLICATE}\n"
    db.session.expire_all()
    assert emails() == ["priya@example.org"]
    assert accounts.find_user_by_email("priya@example.org").roles == ["educator"]
