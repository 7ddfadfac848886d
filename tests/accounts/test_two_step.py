"""Two-step sign-in: setting up an authenticator app, the second step, replay, recovery codes, the role rule,
the rate limit and the staff reset."""

import re
import time

import pyotp
import pytest
from sqlalchemy import event, select

from portal.accounts import services as accounts
from portal.accounts import two_factor
from portal.accounts.models import AuthenticatorApp, RecoveryCode, UserSession
from portal.audit import AuditEvent
from portal.extensions import db
from tests.conftest import PASSWORD


def enrol(user) -> tuple[str, list[str]]:
    """Set up an app through the services; returns (secret, recovery codes). The code used to confirm is
    forgotten, so a test may sign in within the same 30 seconds."""
    app = two_factor.start_enrolment(user=user)
    codes = two_factor.confirm_enrolment(user=user, code=pyotp.TOTP(app.secret).now())
    app.last_used_step = None
    db.session.commit()
    return app.secret, codes


def sign_in(client, email, password=PASSWORD, next_url=""):
    return client.post("/sign-in", data={"email": email, "password": password, "next": next_url})


def sessions_of(user) -> int:
    return len(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all())


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_enrolment_shows_qr_and_key_and_needs_a_good_code(client, make_user, login_as):
    user = make_user()
    login_as(user)
    page = client.get("/account/two-step").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = db.session.scalar(select(AuthenticatorApp.secret).where(AuthenticatorApp.user_id == user.id))
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in page
    assert client.get("/account/two-step").get_data(as_text=True).count(secret[:4]) == 1  # same key on reload

    wrong = client.post("/account/two-step", data={"code": "000000"})
    assert "That code is not right" in wrong.get_data(as_text=True)
    assert not two_factor.is_enrolled(user)

    done = client.post("/account/two-step", data={"code": pyotp.TOTP(secret).now()})
    shown = re.findall(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>", done.get_data(as_text=True))
    assert len(shown) == 10 and len(set(shown)) == 10
    stored = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(stored) == 10 and not stored & set(shown)  # only hashes are kept
    assert two_factor.is_enrolled(user)
    assert actions()[-3:] == ["two_factor.enrol_failed", "two_factor.enrol", "two_factor.recovery_codes"]


def test_password_alone_is_not_a_session_when_enrolled(client, make_user):
    user = make_user()
    secret, _ = enrol(user)
    response = sign_in(client, user.email, next_url="/notices")
    assert response.headers["Location"] == "/sign-in/two-step"
    assert sessions_of(user) == 0
    assert client.get("/my").headers["Location"].startswith("/sign-in")  # half signed in opens nothing

    done = client.post("/sign-in/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert done.headers["Location"] == "/notices"
    assert sessions_of(user) == 1
    assert client.get("/my").status_code == 200
    assert "two_factor.verify" in actions()


def test_wrong_code_is_refused_with_a_message(client, make_user):
    user = make_user()
    enrol(user)
    sign_in(client, user.email)
    response = client.post("/sign-in/two-step", data={"code": "123456"})
    assert response.status_code == 200
    assert "That code is not right or was already used." in response.get_data(as_text=True)
    assert sessions_of(user) == 0
    assert actions()[-1] == "two_factor.verify_failed"


def test_a_used_code_cannot_be_replayed(app, make_user):
    user = make_user()
    secret, _ = enrol(user)
    code = pyotp.TOTP(secret).now()
    first, second = app.test_client(), app.test_client()
    sign_in(first, user.email)
    assert first.post("/sign-in/two-step", data={"code": code}).status_code == 302
    sign_in(second, user.email)
    replay = second.post("/sign-in/two-step", data={"code": code})
    assert replay.status_code == 200
    assert sessions_of(user) == 1


def test_an_older_code_after_a_newer_one_is_refused(make_user):
    user = make_user()
    secret, _ = enrol(user)
    app = two_factor.confirmed_app(user)
    now = time.time()
    assert two_factor._accept_totp(app, pyotp.TOTP(secret).at(now), now)
    assert not two_factor._accept_totp(app, pyotp.TOTP(secret).at(now - 30), now)


def test_a_recovery_code_works_once(app, make_user):
    user = make_user()
    _, codes = enrol(user)
    first, second = app.test_client(), app.test_client()
    sign_in(first, user.email)
    used = first.post("/sign-in/two-step", data={"code": codes[3].upper().replace("-", " ")}, follow_redirects=True)
    assert "You used a recovery code; 9 left." in used.get_data(as_text=True)
    sign_in(second, user.email)
    again = second.post("/sign-in/two-step", data={"code": codes[3]})
    assert again.status_code == 200 and sessions_of(user) == 1
    assert two_factor.remaining_recovery_codes(user) == 9


def test_the_half_signed_in_state_expires(app, client, make_user):
    user = make_user()
    secret, _ = enrol(user)
    sign_in(client, user.email)
    with client.session_transaction() as session:
        pending = session["two_step_pending"]
        session["two_step_pending"] = {**pending, "at": pending["at"] - app.config["TWO_FACTOR_PENDING_SECONDS"] - 1}
    response = client.post("/sign-in/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"] == "/sign-in"
    assert sessions_of(user) == 0


def test_required_role_must_set_up_before_staff_pages(app, client, make_user):
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = "staff"
    staff = make_user(roles=("staff", "reviewer"))
    response = sign_in(client, staff.email, next_url="/staff/people")
    assert response.headers["Location"] == "/account/two-step?next=/staff/people"
    for path in ("/staff/people", "/staff/cohorts", "/staff/reviewers", "/review", "/review/assignments/1"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked.headers["Location"].startswith("/account/two-step"), path
    assert client.get("/my").status_code == 200  # an educator's pages stay open

    assert "Your role requires two-step sign-in" in client.get("/account/two-step").get_data(as_text=True)
    secret = db.session.scalar(select(AuthenticatorApp.secret).where(AuthenticatorApp.user_id == staff.id))
    done = client.post("/account/two-step", data={"code": pyotp.TOTP(secret).now(), "next": "/staff/people"})
    assert 'href="/staff/people"' in done.get_data(as_text=True)
    assert client.get("/staff/people").status_code == 200


def test_staff_page_checks_the_set_up_with_the_session_not_again(app, client, make_user, login_as):
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = "staff"
    staff = make_user(roles=("staff",))
    enrol(staff)
    login_as(staff)
    client.get("/staff/people")
    statements = []
    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/staff/people").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert [s for s in statements if s.lstrip().startswith("SELECT authenticator_apps")] == []


def test_roles_not_listed_are_not_asked(app, client, make_user):
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = "staff"
    educator = make_user()
    assert sign_in(client, educator.email).headers["Location"] == "/my"


def test_codes_are_rate_limited_per_account(app, make_user):
    app.config["TWO_FACTOR_LIMIT_PER_ACCOUNT"] = "3 per 5 minutes"
    user = make_user()
    secret, _ = enrol(user)
    for _ in range(3):
        browser = app.test_client()  # a new browser each time: the limit follows the account
        sign_in(browser, user.email)
        assert browser.post("/sign-in/two-step", data={"code": "000000"}).status_code == 200
    sign_in(browser, user.email)
    blocked = browser.post("/sign-in/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert blocked.status_code == 429
    assert sessions_of(user) == 0


def test_staff_reset_removes_the_app_ends_sessions_and_is_audited(client, make_user, login_as):
    staff, person = make_user(roles=("staff",)), make_user()
    enrol(person)
    accounts.start_session(person)
    db.session.commit()
    login_as(staff)
    response = client.post(f"/staff/people/{person.id}/two-step/reset", follow_redirects=True)
    assert f"Two-step sign-in for {person.name} was reset." in response.get_data(as_text=True)
    assert not two_factor.is_enrolled(person)
    assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == person.id)) is None
    assert sessions_of(person) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor.reset"))
    assert (event.actor_id, event.subject_id, event.detail) == (staff.id, person.id, {"had_app": True})


def test_staff_cannot_reset_their_own(client, make_user, login_as):
    staff = make_user(roles=("staff",))
    enrol(staff)
    login_as(staff)
    response = client.post(f"/staff/people/{staff.id}/two-step/reset", follow_redirects=True)
    assert "You cannot reset your own two-step sign-in." in response.get_data(as_text=True)
    assert two_factor.is_enrolled(staff)


@pytest.mark.parametrize("roles", [("educator",), ("reviewer",)])
def test_only_staff_can_reset(client, make_user, login_as, roles):
    person = make_user()
    enrol(person)
    login_as(make_user(roles=roles))
    assert client.post(f"/staff/people/{person.id}/two-step/reset").status_code == 403
    assert two_factor.is_enrolled(person)


def test_demo_staff_get_the_printed_key_when_staff_must_use_it(app, stack):
    from portal import demo

    app.config["TWO_FACTOR_REQUIRED_ROLES"] = "staff"
    demo.seed_demo()
    enrolled = demo.enrol_demo_second_factor()
    assert [email for email, _ in enrolled] == ["staff@example.org"]
    staff = accounts.find_user_by_email("staff@example.org")
    code = pyotp.TOTP(demo.DEMO_TOTP_SECRET).now()
    assert two_factor.verify_second_step(user=staff, code=code) == "app"
    assert two_factor.verify_second_step(user=staff, code=enrolled[0][1][0]) == "recovery_code"


def test_person_page_items_offer_the_reset_to_other_staff(app, make_user):
    from flask import render_template
    from flask_login import login_user

    staff, person = make_user(roles=("staff",)), make_user(name="Pat Lost-Phone")
    enrol(person)
    with app.test_request_context("/staff/people"):
        login_user(staff)
        html = render_template("accounts/_person_sign_in_methods_more.html", person=person)
        own = render_template("accounts/_person_sign_in_methods_more.html", person=staff)
    assert f'action="/staff/people/{person.id}/two-step/reset"' in html and "10 recovery\n    codes left" in html
    assert "two-step/reset" not in own and "No authenticator app." in own
