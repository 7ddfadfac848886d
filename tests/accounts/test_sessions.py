"""Sign-in, sign-out and password changes, seen from the browser's cookie."""

import pytest
from sqlalchemy import select

from portal.accounts.models import User, UserSession
from portal.audit import AuditEvent
from portal.extensions import db
from tests.conftest import PASSWORD


def sign_in(client, email, password=PASSWORD, next_url=""):
    return client.post("/sign-in", data={"email": email, "password": password, "next": next_url})


def test_sign_in_correct_password_opens_a_server_session(client, make_user):
    user = make_user()
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/my"
    assert db.session.scalar(select(UserSession.user_id)) == user.id
    assert client.get("/my").status_code == 200


@pytest.mark.parametrize("email_kind", ["wrong password", "unknown email"])
def test_sign_in_failure_gives_one_generic_message(client, make_user, email_kind):
    user = make_user()
    email = user.email if email_kind == "wrong password" else "nobody@example.org"
    response = sign_in(client, email, "not the password")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "That email and password do not match an account." in page
    assert 'value="' + email + '"' in page  # what was typed is kept
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("account.sign_in_failed") == 1


def test_sign_in_email_is_case_insensitive(client, make_user):
    user = make_user(email="Dana@Example.org")
    assert user.email == "dana@example.org"
    assert sign_in(client, "  DANA@example.ORG ").status_code == 302


def test_sign_out_refuses_a_copy_of_the_old_cookie(app, make_user):
    user = make_user()
    browser = app.test_client()
    sign_in(browser, user.email)
    stolen = browser.get_cookie("session").value
    browser.post("/sign-out")
    assert db.session.scalar(select(UserSession)) is None

    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/my")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_password_change_ends_other_sessions_and_keeps_this_one(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, user.email)
    sign_in(phone, user.email)
    copied = laptop.get_cookie("session").value

    response = laptop.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    )
    assert response.status_code == 302
    assert laptop.get("/my").status_code == 200
    assert phone.get("/my").status_code == 302
    stale = app.test_client()
    stale.set_cookie("session", copied)
    assert stale.get("/my").status_code == 302
    assert sign_in(app.test_client(), user.email, "a brand new passphrase").status_code == 302


def test_password_change_wrong_current_password_is_refused_next_to_the_field(client, make_user, login_as):
    login_as(make_user())
    response = client.post("/account/password", data={"current_password": "nope", "new_password": "another one!"})
    page = response.get_data(as_text=True)
    assert 'id="current_password-error"' in page
    assert "Your current password is not correct." in page


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/stacks/digital-equity", "/stacks/digital-equity"),
        ("//evil.example", "/my"),
        ("\\\\evil.example", "/my"),
        ("/\\evil.example", "/my"),
        ("https:evil.example", "/my"),
        ("https://evil.example/", "/my"),
        ("javascript:alert(1)", "/my"),
        ("/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x"),
        ("/ok\r\nLocation: https://evil", "/my"),
    ],
)
def test_sign_in_next_stays_on_this_site(client, make_user, target, expected):
    user = make_user()
    response = sign_in(client, user.email, next_url=target)
    assert response.headers["Location"] == expected


def test_anonymous_user_is_sent_to_sign_in_with_next(client):
    response = client.get("/my")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=%2Fmy"


def test_sign_up_creates_an_unconfirmed_educator_and_keeps_input_on_error(client):
    form = {"name": "Ana Ruiz", "email": "ana@example.org", "organization": "Mesa County Schools",
            "password": "short"}
    page = client.post("/sign-up", data=form).get_data(as_text=True)
    assert "Use at least 8 characters." in page
    assert 'value="Ana Ruiz"' in page and 'value="Mesa County Schools"' in page

    form["password"] = "a long enough passphrase"
    response = client.post("/sign-up", data=form)
    assert response.headers["Location"] == "/sign-up/check-your-email"
    user = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    assert user.roles == ["educator"]
    assert user.organization.name == "Mesa County Schools"
    assert user.email_confirmed_at is None
    assert "ana@example.org" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_sign_up_accepts_long_passwords_without_composition_rules(client):
    passphrase = "all lowercase words " * 5  # 100 characters, no digits or symbols
    data = {"name": "Lee", "email": "lee@example.org", "organization": "Lakeview", "password": passphrase}
    assert client.post("/sign-up", data=data).status_code == 302
    assert sign_in(client, "lee@example.org", passphrase).status_code == 302


def test_password_hash_is_argon2id_at_owasp_strength(make_user):
    from portal.config import Config

    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert Config.PASSWORD_HASH["memory_cost"] >= 19 * 1024
    assert Config.PASSWORD_HASH["time_cost"] >= 2


def test_sign_out_is_audited(client, make_user):
    user = make_user()
    sign_in(client, user.email)
    client.post("/sign-out")
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()[-1] == "account.sign_out"
