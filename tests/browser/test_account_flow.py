"""Accounts in Chromium: the idle-session warning and a draft that survives it, the reset and confirmation
pages, the account and person pages, each checked with axe-core."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import User
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.notifications.models import OutboxMessage

pytestmark = pytest.mark.browser

FOUNDATIONS_URL = "/stacks/digital-equity/foundations"
STAFF_EMAIL = "staff@example.org"


def last_link(live_app, address: str) -> str:
    with live_app.app_context():
        body = db.session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id.desc())
        ).first()
        db.session.remove()
    return re.search(r"https?://\S+/(?:password/reset|email/confirm)/\S+", body).group(0)


@pytest.fixture
def short_idle(live_app):
    saved = live_app.config["SESSION_IDLE"], live_app.config["SESSION_IDLE_WARNING"]
    live_app.config["SESSION_IDLE"], live_app.config["SESSION_IDLE_WARNING"] = timedelta(seconds=14), timedelta(
        seconds=9)
    yield
    live_app.config["SESSION_IDLE"], live_app.config["SESSION_IDLE_WARNING"] = saved


def test_idle_warning_extends_and_after_expiry_the_draft_is_intact(page, axe, make_account, sign_in, short_idle):
    educator = make_account()
    sign_in(page, educator.email, educator.password)
    page.goto(FOUNDATIONS_URL)
    page.get_by_role("button", name="Start this credential").click()
    expect(page).to_have_url(re.compile(r"/submissions/\d+$"))
    draft_url = page.url
    page.locator("#overview-text").fill("Families told us the library closes at five.")
    expect(page.locator("#save-status")).to_contain_text("Saved at", timeout=10_000)

    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=15_000)
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    axe.check(page, "idle warning open")
    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()

    expect(dialog).to_be_visible(timeout=15_000)  # no more activity: warned again, then signed out
    page.wait_for_url(re.compile(r"/sign-in\?next=.*expired=1"), timeout=20_000)
    expect(page.locator("#expired-notice")).to_contain_text("Your drafts were saved as you typed")
    axe.check(page, "sign-in after an idle session")

    page.locator("#email").fill(educator.email)
    page.locator("#password").fill(educator.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(draft_url)
    expect(page.locator("#overview-text")).to_have_value("Families told us the library closes at five.")
    axe.assert_clean()


def test_password_reset_pages_are_accessible_and_work(page, axe, live_app, make_account):
    account = make_account()
    page.goto("/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    axe.check(page, "forgot password")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.locator("#error-summary")).to_contain_text("Enter your email address.")
    axe.check(page, "forgot password with an error")
    page.locator("#email").fill(account.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe.check(page, "reset link sent")

    link = last_link(live_app, account.email)
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/password/reset$"))
    axe.check(page, "choose a new password")
    page.locator("#password").fill("a brand new passphrase")
    page.get_by_role("button", name="Set my password").click()
    expect(page).to_have_url(re.compile(r"/my$"))
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    axe.check(page, "used link")
    axe.assert_clean()


def test_sign_up_confirmation_and_account_pages_are_accessible(page, axe, live_app, live_server):
    email = f"signup-{live_server.rsplit(':', 1)[1]}-{id(page)}@example.org"
    page.goto("/sign-up")
    page.locator("#name").fill("Robin Diaz")
    page.locator("#email").fill(email)
    page.locator("#organization").fill("Lakeview Charter Network")
    page.locator("#password").fill("a long enough passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe.check(page, "signed up")

    page.goto(f"/sign-in?email={email}")
    page.locator("#password").fill("a long enough passphrase")
    page.get_by_role("button", name="Sign in").click()
    page.goto("/account")
    expect(page.locator("#confirm-notice")).to_be_visible()
    axe.check(page, "account page, unconfirmed")
    page.get_by_role("button", name="Send a confirmation link").click()
    expect(page.locator("#error-summary")).to_be_visible()
    axe.check(page, "account page with errors")

    page.goto(last_link(live_app, email))
    expect(page).to_have_url(re.compile(r"/email/confirm$"))
    axe.check(page, "confirm address")
    page.get_by_role("button", name=f"Confirm {email}").click()
    expect(page.locator(".flash-success")).to_contain_text("is confirmed")
    expect(page.locator("#confirm-notice")).to_have_count(0)
    axe.assert_clean()


def test_person_page_is_accessible_and_deactivation_shows_on_sign_in(page, phone_page, axe, live_app, make_account,
                                                                     sign_in):
    person = make_account(name="Avery Stone")
    sign_in(page, STAFF_EMAIL, DEMO_PASSWORD)
    page.goto("/staff/people")
    page.get_by_role("link", name="Avery Stone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Avery Stone")
    axe.check(page, "person page")
    page.get_by_role("button", name="Deactivate Avery Stone").click()
    expect(page.locator("#deactivated-notice")).to_be_visible()
    axe.check(page, "person page, deactivated")

    phone_page.goto("/sign-in")
    phone_page.locator("#email").fill(person.email)
    phone_page.locator("#password").fill(person.password)
    phone_page.get_by_role("button", name="Sign in").click()
    expect(phone_page.locator("#error-summary")).to_contain_text("This account has been deactivated")
    axe.check(phone_page, "sign-in of a deactivated account, phone")
    page.get_by_role("button", name="Reactivate Avery Stone").click()
    with live_app.app_context():
        assert db.session.get(User, person.id).is_active
        db.session.remove()

    phone_page.goto("/")  # away from the filled-in form
    sign_in(phone_page, STAFF_EMAIL, DEMO_PASSWORD)
    phone_page.set_viewport_size({"width": 320, "height": 700})
    phone_page.goto(f"/staff/people/{person.id}")
    wide = phone_page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")
    axe.note(not wide, "person page scrolls sideways at 320 px")
    for path in ("/account", "/account/password"):
        phone_page.goto(path)
        wide = phone_page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")
        axe.note(not wide, f"{path} scrolls sideways at 320 px")
    axe.assert_clean()
