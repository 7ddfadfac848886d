"""An invitation accepted through the production configuration behind a TLS-terminating proxy.

The proxy speaks HTTPS to the browser and HTTP to the app, saying so with X-Forwarded-Proto (PROXY_COUNT=1).
Flask-WTF then checks the Referer strictly, so the page's referrer policy decides whether the invited
person can set a password at all. The browser's part is played by `referer_for`: it sends what the
page's policy allows.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import create_app
from portal.accounts.models import User
from portal.audit import utcnow
from portal.cohorts.invitations import has_password, token_hash, unusable_password
from portal.cohorts.models import Invitation
from portal.config import ProductionConfig
from portal.extensions import db

HOST = "portal.example.org"
PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
# The proxy talks plain HTTP to the app; only X-Forwarded-Proto says the browser used HTTPS.
APP_SIDE = f"http://{HOST}"


@pytest.fixture
def production_client(app, app_config):
    """A production app (Secure __Host- cookies, CSRF on, HSTS) on the test database; `app` empties it after."""

    class BehindProxy(ProductionConfig):
        SECRET_KEY = "a-long-random-production-secret-for-this-test-only"  # noqa: S105
        SQLALCHEMY_DATABASE_URI = app_config["SQLALCHEMY_DATABASE_URI"]
        UPLOAD_FOLDER = app_config["UPLOAD_FOLDER"]
        PROXY_COUNT = 1
        TRUSTED_HOSTS = [HOST]
        PORTAL_URL = f"https://{HOST}"
        RATELIMIT_STORAGE_URI = "memory://"
        PASSWORD_HASH = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}

    production = create_app(BehindProxy)
    assert production.config["WTF_CSRF_ENABLED"] is not False and production.config["SESSION_COOKIE_SECURE"]
    return production.test_client()


@pytest.fixture
def invitation_path(app):
    user = User(email="invited@riverside.k12.us", name="Ines Invited", password_hash=unusable_password(),
                is_educator=True)
    db.session.add(user)
    token = "t0ken-" + "x" * 40
    db.session.add(Invitation(user=user, token_hash=token_hash(token), expires_at=utcnow() + timedelta(days=7)))
    db.session.commit()
    return f"/invitations/{token}"


def referer_for(response, url: str) -> dict:
    """What a browser sends as Referer from this page to a same-origin address, per the page's policy
    (a <meta name="referrer"> overrides the header)."""
    page = response.get_data(as_text=True)
    meta = re.search(r'<meta name="referrer" content="([^"]+)">', page)
    policy = meta.group(1) if meta else response.headers.get("Referrer-Policy", "strict-origin-when-cross-origin")
    if policy == "no-referrer":
        return {}
    if policy in ("origin", "strict-origin"):
        return {"Referer": f"https://{HOST}/"}
    return {"Referer": f"https://{HOST}{url}"}


def csrf_token(response) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_invitation_accepted_behind_tls_proxy_in_production(production_client, invitation_path):
    page = production_client.get(invitation_path, headers=PROXY, base_url=APP_SIDE)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "same-origin"  # never leaves the site with the token
    assert "Strict-Transport-Security" in page.headers
    response = production_client.post(
        invitation_path, data={"csrf_token": csrf_token(page), "password": "a long new passphrase"},
        headers={**PROXY, **referer_for(page, invitation_path)}, base_url=APP_SIDE,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].endswith("/my/cohorts")
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "invited@riverside.k12.us"))
    assert has_password(user)
    assert db.session.scalar(select(Invitation.used_at)) is not None


def test_invitation_post_without_referer_is_still_refused_behind_tls(production_client, invitation_path):
    page = production_client.get(invitation_path, headers=PROXY, base_url=APP_SIDE)
    response = production_client.post(
        invitation_path, data={"csrf_token": csrf_token(page), "password": "a long new passphrase"}, headers=PROXY,
        base_url=APP_SIDE,
    )
    assert response.status_code == 400  # the strict check stays on: only the page's policy changed
    db.session.expire_all()
    assert db.session.scalar(select(Invitation.used_at)) is None
