"""Password reset by a mailed one-time link."""

from datetime import timedelta

from sqlalchemy import select, update

from portal.accounts.models import AccountToken, User, UserSession
from portal.audit import utcnow
from portal.extensions import db
from tests.accounts.helpers import last_link_to, link_in, mails_to, path_of
from tests.conftest import PASSWORD
from tests.test_security import production_app

NEW_PASSWORD = "a fresh passphrase for spring"


def ask_reset(client, email, **kwargs):
    return client.post("/password/forgot", data={"email": email}, **kwargs)


def test_sign_in_page_offers_forgot_password(client):
    assert 'href="/password/forgot"' in client.get("/sign-in").get_data(as_text=True)


def test_known_unknown_and_deactivated_addresses_get_the_same_answer(client, make_user):
    known, gone = make_user(email="known@example.org"), make_user(email="gone@example.org")
    gone.deactivated_at = utcnow()
    db.session.commit()

    answers, pages = set(), set()
    for email in ("known@example.org", "nobody@example.org", "gone@example.org"):
        response = ask_reset(client, email)
        answers.add((response.status_code, response.headers["Location"]))
        pages.add(client.get("/password/forgot/sent").get_data(as_text=True).replace(email, "EMAIL"))

    assert answers == {(302, "/password/forgot/sent")}
    assert len(pages) == 1 and "EMAIL" in pages.pop()
    assert link_in(mails_to("known@example.org")[-1]).startswith("http://127.0.0.1:5000/password/reset/")
    for address in ("nobody@example.org", "gone@example.org"):  # a message, so the work is the same; no link
        (message,) = mails_to(address)
        assert link_in(message) is None
    assert db.session.scalar(select(AccountToken.user_id)) == known.id


def test_the_link_sets_a_new_password_once_signs_in_and_ends_other_sessions(app, client, make_user):
    user = make_user()
    laptop = app.test_client()
    laptop.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    ask_reset(client, user.email)
    link = path_of(last_link_to(user.email))

    followed = client.get(link)
    assert followed.status_code == 302 and followed.headers["Location"] == "/password/reset"
    assert followed.headers["Referrer-Policy"] == "no-referrer"
    form_page = client.get("/password/reset")
    assert form_page.headers["Referrer-Policy"] == "same-origin"  # nothing leaves the site; the URL holds no token
    assert link.rsplit("/", 1)[1] not in form_page.get_data(as_text=True)

    response = client.post("/password/reset", data={"password": NEW_PASSWORD})

    assert response.headers["Location"] == "/my"
    assert client.get("/my").status_code == 200
    assert laptop.get("/my").status_code == 302
    assert db.session.scalar(select(UserSession.id).where(UserSession.user_id == user.id)) is not None
    assert app.test_client().post("/sign-in", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    again = app.test_client()
    assert again.get(link).status_code == 410
    assert "This link no longer works" in again.get(link).get_data(as_text=True)


def test_a_short_password_is_refused_next_to_the_field_and_the_link_still_works(client, make_user):
    user = make_user()
    ask_reset(client, user.email)
    client.get(path_of(last_link_to(user.email)))
    page = client.post("/password/reset", data={"password": "short"}).get_data(as_text=True)
    assert 'id="password-error"' in page and "Use at least 8 characters." in page
    assert client.post("/password/reset", data={"password": NEW_PASSWORD}).status_code == 302


def test_the_link_works_for_60_minutes_only(app, client, make_user):
    user = make_user()
    ask_reset(client, user.email)
    row = db.session.scalar(select(AccountToken))
    assert row.expires_at - row.created_at == timedelta(minutes=60)
    db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(path_of(last_link_to(user.email))).status_code == 410


def test_a_link_stops_working_once_it_was_followed_and_then_expired(client, make_user):
    user = make_user()
    ask_reset(client, user.email)
    client.get(path_of(last_link_to(user.email)))
    db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.post("/password/reset", data={"password": NEW_PASSWORD}).status_code == 410


def test_a_newer_link_replaces_the_older_one(app, client, make_user):
    user = make_user()
    ask_reset(client, user.email)
    older = path_of(last_link_to(user.email))
    ask_reset(client, user.email)
    newer = path_of(last_link_to(user.email))
    assert older != newer
    assert app.test_client().get(older).status_code == 410
    assert app.test_client().get(newer).status_code == 302


def test_only_the_hash_of_the_token_is_stored(client, make_user):
    user = make_user()
    ask_reset(client, user.email)
    token = last_link_to(user.email).rsplit("/", 1)[1]
    stored = db.session.scalar(select(AccountToken.token_hash))
    assert token not in stored and len(stored) == 64


def test_a_forged_host_header_does_not_change_the_link(client, make_user):
    user = make_user()
    ask_reset(client, user.email, headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert last_link_to(user.email).startswith("http://127.0.0.1:5000/password/reset/")


def test_a_deactivated_account_cannot_use_a_link_sent_before(client, make_user):
    user = make_user()
    ask_reset(client, user.email)
    db.session.get(User, user.id).deactivated_at = utcnow()
    db.session.commit()
    assert client.get(path_of(last_link_to(user.email))).status_code == 410


def test_reset_requests_are_limited_per_account(client, make_user):
    user = make_user()
    statuses = [ask_reset(client, user.email, environ_base={"REMOTE_ADDR": f"10.1.0.{n}"}).status_code
                for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(mails_to(user.email)) == 3


def test_reset_requests_are_limited_per_address(client):
    statuses = [ask_reset(client, f"someone{n}@example.org").status_code for n in range(11)]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429


def test_reset_works_in_production_behind_a_tls_proxy(app, app_config, make_user):
    user = make_user()
    prod = production_app(app_config, PROXY_COUNT=1)
    browser = prod.test_client()
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "Host": "localhost"}

    def csrf_of(response):
        return response.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]

    page = browser.get("/password/forgot", base_url="https://localhost", headers=proxy)
    browser.post("/password/forgot", base_url="https://localhost",
                 data={"email": user.email, "csrf_token": csrf_of(page)}, headers={**proxy, "Referer": "https://localhost/password/forgot"})
    link = last_link_to(user.email)
    followed = browser.get(path_of(link), base_url="https://localhost", headers=proxy)  # a mail client sends no Referer
    assert followed.headers["Location"] == "/password/reset"
    form = browser.get("/password/reset", base_url="https://localhost", headers=proxy)
    # same-origin: the browser sends the Referer that Flask-WTF's strict HTTPS check asks for, to this site only.
    assert form.headers["Referrer-Policy"] == "same-origin"
    response = browser.post(
        "/password/reset", base_url="https://localhost", data={"password": NEW_PASSWORD, "csrf_token": csrf_of(form)},
        headers={**proxy, "Referer": "https://localhost/password/reset"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/my"
