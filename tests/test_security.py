"""The security baseline: production settings, headers, CSRF, rate limits and body size."""

import pytest
from flask import Flask
from sqlalchemy import event

from portal import create_app
from portal.accounts.models import User
from portal.config import DEV_SECRET_KEY, ProductionConfig
from portal.extensions import db
from tests.conftest import PASSWORD


def production_app(app_config, **overrides):
    class Production(ProductionConfig):
        SECRET_KEY = "a-real-secret-for-this-test-only-0123456789"
        SQLALCHEMY_DATABASE_URI = app_config["SQLALCHEMY_DATABASE_URI"]
        UPLOAD_FOLDER = app_config["UPLOAD_FOLDER"]
        PASSWORD_HASH = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}

    for key, value in overrides.items():
        setattr(Production, key, value)
    return create_app(Production)


def test_production_refuses_the_development_secret_key(app_config):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        production_app(app_config, SECRET_KEY=DEV_SECRET_KEY)


def test_production_session_cookie_is_host_prefixed_secure_httponly_lax(app, app_config, make_user):
    user = make_user()
    prod = production_app(app_config)
    client = prod.test_client()
    page = client.get("/sign-in", base_url="https://localhost").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/sign-in", base_url="https://localhost",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://localhost/sign-in"},
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain=" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_enforces_csrf_on_forms(app, app_config, make_user):
    user = make_user()
    client = production_app(app_config).test_client()
    response = client.post(
        "/sign-in", base_url="https://localhost", data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Something was wrong with that request" in response.get_data(as_text=True)


def test_every_page_sends_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_signed_in_pages_are_not_cached(client, make_user, login_as):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    login_as(make_user())
    assert client.get("/my").headers["Cache-Control"] == "no-store"


def test_no_store_after_a_commit_does_not_reload_the_user(app, client, make_user, login_as):
    # The view commits, which expires the signed-in user; deciding the Cache-Control header must not read it again.
    login_as(make_user(roles=("reviewer",)))
    statements = []
    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.post("/review/availability?pause=1")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    assert [s for s in statements if "FROM users" in s and "user_sessions" not in s] == []


def test_trusted_hosts_refuse_other_hosts(app_config):
    app = create_app({**app_config, "TRUSTED_HOSTS": ["portal.example.org"]})
    assert app.test_client().get("/", base_url="http://evil.example").status_code == 400
    assert app.test_client().get("/", base_url="http://portal.example.org").status_code == 200


def test_oversized_body_is_refused_before_it_is_read(app_config):
    app = create_app({**app_config, "MAX_CONTENT_LENGTH": 1000})
    response = app.test_client().post("/sign-in", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "That upload is too large" in response.get_data(as_text=True)


def test_unexpected_error_shows_a_friendly_page_without_a_trace(app):
    @app.get("/boom")
    def boom():
        raise ValueError("secret internals")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_a_failed_statement_still_gets_the_friendly_page_with_its_header(app, client, login_as, make_user):
    user = make_user()

    @app.get("/duplicate")
    def duplicate():
        db.session.add(User(email=user.email, name="Copy", password_hash="x"))  # the email is taken
        db.session.flush()

    login_as(user)
    response = client.get("/duplicate")
    page = response.get_data(as_text=True)

    assert response.status_code == 500
    assert "Something went wrong on our side" in page and "Sign out" in page
    assert "IntegrityError" not in page and "Traceback" not in page


def test_sign_in_rate_limited_per_account_across_addresses(app, client, make_user):
    user = make_user()
    for attempt in range(5):
        address = f"10.0.0.{attempt}"
        response = client.post("/sign-in", data={"email": user.email, "password": "wrong"},
                                environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 200
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_sign_in_rate_limited_per_address_ignores_forged_forwarded_for(app, client, make_user):
    for attempt in range(20):
        client.post("/sign-in", data={"email": f"guess{attempt}@example.org", "password": "x"},
                    headers={"X-Forwarded-For": f"192.0.2.{attempt}"})
    response = client.post("/sign-in", data={"email": "another@example.org", "password": "x"},
                           headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 429


def test_successful_sign_ins_do_not_use_up_the_account_limit(client, make_user):
    user = make_user()
    for _ in range(7):
        assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_rate_limit_can_be_shared_through_redis(app_config, make_user):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    user = make_user(email="shared@example.org")
    storage = {**app_config, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}
    redis.Redis(host="127.0.0.1", port=6379, db=15).flushdb()
    worker_one, worker_two = create_app(storage), create_app(storage)
    for _ in range(5):
        worker_one.test_client().post("/sign-in", data={"email": user.email, "password": "wrong"})
    response = worker_two.test_client().post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    redis.Redis(host="127.0.0.1", port=6379, db=15).flushdb()


def test_create_app_returns_a_flask_app_for_each_config(app_config):
    assert isinstance(create_app(app_config), Flask)


def test_an_app_wide_rate_limit_from_the_settings_still_applies(app_config):
    # The per-request look for app-wide limits is dropped only while there are none (portal/throttle.py).
    limited = create_app({**app_config, "RATELIMIT_DEFAULT": "2 per minute"})
    client = limited.test_client()
    with limited.app_context():
        statuses = [client.get("/sign-up/check-your-email").status_code for _ in range(3)]
        db.session.remove()
    assert statuses == [200, 200, 429]


def test_a_rotated_secret_key_still_reads_the_session_cookie_it_signed(app, client, make_user, login_as):
    # The cookie signer is built once per set of keys (security.SessionCookies), so a key change is seen.
    login_as(make_user(name="Dana"))
    assert "Signed in as Dana." in client.get("/").get_data(as_text=True)
    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = "a-new-secret-key-for-this-test-only-0123456789"
    assert "Signed in as Dana." in client.get("/").get_data(as_text=True)
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert "Signed in as Dana." not in client.get("/").get_data(as_text=True)
