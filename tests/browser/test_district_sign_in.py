"""District sign-in and two-step sign-in in Chromium, against the real OpenID Provider the suite runs
(oidc-provider on Node.js): its development login and consent pages are filled in like a person would.

For a wrong nonce or another client's token, which a browser cannot produce, the portal's code exchange is
made to return a real token the provider issued for that case (the live server runs in this process)."""

import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from authlib.integrations.flask_client import FlaskOAuth2App
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.catalog.models import Stack
from portal.cohorts import invitations
from portal.cohorts.models import Cohort, Invitation, Membership
from portal.extensions import db
from tests.browser.conftest import follow, press

SLUG = "test-district"


@pytest.fixture
def district(live_app, live_server, oidc_provider):
    redirect_uri = f"{live_server}/sign-in/district/{SLUG}/callback"
    client_id, secret = oidc_provider.register_client([redirect_uri])

    def configure(domains=""):
        live_app.config["OIDC_PROVIDERS"] = f"Test District|{oidc_provider.issuer}|{client_id}|{secret}|{domains}"

    configure()
    yield {"provider": oidc_provider, "client_id": client_id, "secret": secret, "redirect_uri": redirect_uri,
           "configure": configure}
    live_app.config["OIDC_PROVIDERS"] = ""


def sign_in_at_provider(page, login: str) -> None:
    """From the portal's sign-in page: the district button, the provider's login form, its consent page."""
    follow(page, page.get_by_role("link", name="Sign in with Test District"))
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    with page.expect_navigation(url=lambda url: "/interaction/" not in url):
        page.get_by_role("button").first.click()  # consent: Continue


def refusal(page) -> str:
    assert urlsplit(page.url).path == "/sign-in", page.url
    return page.locator(".flash-error").inner_text()


def unique(name: str) -> str:
    return f"{name}-{time.time_ns()}@district.example"


def test_first_district_sign_in_creates_an_account(page, district, axe, live_app):
    page.goto("/sign-in")
    axe.check(page, "sign-in page with district buttons")
    email = unique("new")
    sign_in_at_provider(page, email)
    assert urlsplit(page.url).path == "/my"
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.goto("/account/sign-in-methods")
    assert "This is your only way to sign in, so it cannot be removed." in page.locator("main").inner_text()
    axe.check(page, "sign-in methods")
    with live_app.app_context():
        user = accounts.find_user_by_email(email)
        assert user.roles == ["educator"] and not invitations.has_password(user)
    axe.assert_clean()


def test_invited_member_is_linked_and_lands_in_the_cohort(page, district, live_app):
    email = unique("invited")
    with live_app.app_context():
        member = User(email=email, name="Ivy Invited", password_hash=invitations.unusable_password())
        cohort = Cohort(name=f"Cohort for {email}", stack_id=db.session.scalar(select(Stack.id)))
        db.session.add_all([member, cohort])
        db.session.flush()
        db.session.add(Membership(cohort_id=cohort.id, user_id=member.id))
        invitations.invite(user=member, cohort=cohort, actor=None)
        db.session.commit()
        member_id = member.id
        db.session.remove()
    page.goto("/sign-in")
    sign_in_at_provider(page, email)
    assert urlsplit(page.url).path == "/my/cohorts"
    assert f"Cohort for {email}" in page.locator("main").inner_text()
    with live_app.app_context():
        assert db.session.scalar(select(Invitation.used_at).where(Invitation.user_id == member_id)) is not None
        db.session.remove()


def test_forged_state_is_refused(page, district):
    page.goto(f"/sign-in/district/{SLUG}/callback?code=stolen-code&state=forged-state")
    assert "This sign-in was not started in this browser" in refusal(page)
    assert page.get_by_role("link", name="Sign in", exact=True).is_visible()


def test_email_domain_not_allowed_is_refused(page, district):
    district["configure"]("riverside.k12.example")
    page.goto("/sign-in")
    sign_in_at_provider(page, unique("visitor"))
    message = refusal(page)
    assert "is not one this portal accepts" in message and "riverside.k12.example" in message


def _swap_token(monkeypatch, make_token) -> None:
    real = FlaskOAuth2App.fetch_access_token

    def fetch(self, *args, **kwargs):
        real(self, *args, **kwargs)
        return make_token()

    monkeypatch.setattr(FlaskOAuth2App, "fetch_access_token", fetch)


def _nonce_sent(page) -> list[str]:
    nonces = []
    page.on("request", lambda request: nonces.extend(parse_qs(urlsplit(request.url).query).get("nonce", [])))
    return nonces


def test_wrong_nonce_is_refused(page, district, monkeypatch):
    d = district
    _swap_token(monkeypatch, lambda: d["provider"].id_token(
        client_id=d["client_id"], client_secret=d["secret"], redirect_uri=d["redirect_uri"], nonce="replayed-nonce",
        login="someone@district.example"))
    page.goto("/sign-in")
    sign_in_at_provider(page, "someone@district.example")
    assert "could not be verified, so you were not signed in" in refusal(page)


def test_token_for_another_client_is_refused(page, district, monkeypatch, oidc_provider):
    other_redirect = "http://127.0.0.1:5999/callback"
    other_id, other_secret = oidc_provider.register_client([other_redirect])
    nonces = _nonce_sent(page)
    _swap_token(monkeypatch, lambda: oidc_provider.id_token(  # the right nonce, for the other client
        client_id=other_id, client_secret=other_secret, redirect_uri=other_redirect, nonce=nonces[0],
        login="someone@district.example"))
    page.goto("/sign-in")
    sign_in_at_provider(page, "someone@district.example")
    assert "could not be verified, so you were not signed in" in refusal(page)


def test_two_step_set_up_and_sign_in(page, make_account, sign_in, axe):
    account = make_account()
    sign_in(page, account.email, account.password)
    page.goto("/account/two-step")
    axe.check(page, "two-step set-up")
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    press(page, "Turn on two-step sign-in")  # empty: a message by the field
    assert "Enter the 6-digit code the app shows." in page.locator("#code-error").inner_text()
    axe.check(page, "two-step set-up with an error")
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    press(page, "Turn on two-step sign-in")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    axe.check(page, "recovery codes")
    press(page, "Sign out")

    sign_in(page, account.email, account.password, expect_success=False)
    assert urlsplit(page.url).path == "/sign-in/two-step"
    axe.check(page, "second step")
    page.locator("#code").fill("000000")
    press(page, "Continue")
    assert "That code is not right" in page.locator("#code-error").inner_text()
    page.locator("#code").fill(codes[0])
    press(page, "Continue")
    assert urlsplit(page.url).path == "/my"
    assert "You used a recovery code; 9 left." in page.locator(".flashes").inner_text()
    page.goto("/account/two-step")
    axe.check(page, "two-step status")
    axe.assert_clean()
