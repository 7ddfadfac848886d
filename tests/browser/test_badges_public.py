"""End to end in Chromium: an anonymous visitor opens a shared credential's public page and checks its file;
staff find it in the list of issued credentials and revoke it with a reason; the visitor reloads and sees it
revoked, and the same file now checks as revoked. axe-core runs on the public page, the file check and the staff
pages, on a desktop and at 375px."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.badges import services as badges
from portal.badges.models import IssuedCredential
from portal.extensions import db
from tests.browser.conftest import DEMO_PASSWORD, DESKTOP, STAFF_EMAIL, _new_context, follow, press

VALID = "Valid: the signature checks out and it has not been revoked"
REASON = "Issued in error: the reviews were recorded against the wrong educator."


@pytest.fixture
def shared(live_app, make_account):
    """A freshly earned Foundations credential whose earner turned its public page on: (account, token, id, JSON)."""
    account = make_account(earned_foundations=True, name="Robin Castellanos")
    with live_app.app_context():
        issued = db.session.scalar(select(IssuedCredential).where(IssuedCredential.earner_id == account.id))
        badges.set_public(earner=issued.earner, issued=issued, public=True)
        db.session.commit()
        values = (account, issued.share_token, issued.id, issued.document)
        db.session.remove()
    return values


@pytest.fixture
def staff_page(browser, live_server):
    """A desktop page in a browser of its own (the staff member's), watched like the conftest's pages."""
    context, watch = _new_context(browser, live_server, viewport=DESKTOP)
    yield context.new_page()
    context.close()
    watch.check()


def no_sideways_scroll(axe, viewer, label) -> None:
    overflow = viewer.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    axe.note(overflow <= 0, f"{label}: the phone page is {overflow}px wider than the screen")


def check_file(page, document: str) -> None:
    page.get_by_label("Credential file").set_input_files(
        {"name": "credential.json", "mimeType": "application/json", "buffer": document.encode()}
    )
    press(page, "Check the file")


def test_unshared_credential_page_says_only_not_shared(live_app, make_account, page, phone_page, axe):
    account = make_account(earned_foundations=True, name="Sam Unshared")
    with live_app.app_context():
        token = db.session.scalar(select(IssuedCredential.share_token).where(IssuedCredential.earner_id == account.id))
        db.session.remove()
    for viewer, size in ((page, "desktop"), (phone_page, "phone")):
        viewer.goto(f"/credentials/{token}")
        expect(viewer.get_by_role("heading", level=1)).to_have_text("Not shared")
        expect(viewer.locator("main")).not_to_contain_text("Sam Unshared")
        expect(viewer.locator("main")).not_to_contain_text("Foundations")
        axe.check(viewer, f"not shared, {size}")
    axe.assert_clean()


def test_visitor_verifies_staff_revoke_visitor_sees_revoked(
        page, phone_page, staff_page, shared, sign_in, axe):
    account, token, issued_id, document = shared
    public_path = f"/credentials/{token}"

    # An anonymous visitor opens the shared link: every fact, and the live status.
    page.goto(public_path)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Foundations of Digital Equity")
    expect(page.locator(".status-line")).to_have_text(VALID)
    expect(page.locator("main")).to_contain_text("Robin Castellanos")
    expect(page.locator("main")).not_to_contain_text(account.email)
    axe.check(page, "public page, desktop")
    phone_page.goto(public_path)
    axe.check(phone_page, "public page, phone")
    no_sideways_scroll(axe, phone_page, "public page")

    # ...follows the link to the file check, and checks the credential's JSON.
    follow(page, page.get_by_role("main").get_by_role("link", name="Check a credential file"))
    assert page.url.endswith("/verify")
    axe.check(page, "file check, desktop")
    check_file(page, document)
    expect(page.locator(".status-line")).to_have_text("Genuine, unaltered and current.")
    assert page.evaluate("document.activeElement.id") == "" and page.evaluate(
        "document.activeElement.classList.contains('status-box')"), "the result takes the focus"
    axe.check(page, "file check with its result, desktop")
    phone_page.goto("/verify")
    check_file(phone_page, document.replace("Robin Castellanos", "Robin Forger"))
    expect(phone_page.locator(".status-line")).to_contain_text("Altered")
    axe.check(phone_page, "file check of an altered file, phone")
    no_sideways_scroll(axe, phone_page, "file check")
    phone_page.get_by_label("Credential file").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"just some notes"})
    press(phone_page, "Check the file")
    expect(phone_page.locator("#file-error")).to_contain_text("neither a credential")
    axe.check(phone_page, "file check with a bad file, phone")

    # Staff find it in the list of issued credentials and revoke it with a reason.
    sign_in(staff_page, STAFF_EMAIL, DEMO_PASSWORD, next_path="/staff/submissions")
    staff_nav = staff_page.get_by_role("navigation", name="Staff")
    follow(staff_page, staff_nav.get_by_role("link", name="Credentials issued"))
    row = staff_page.locator(f"#issued-{issued_id}")
    expect(row).to_contain_text("Robin Castellanos")
    expect(row).to_contain_text("Valid")
    axe.check(staff_page, "credentials issued, desktop")
    follow(staff_page, row.get_by_role("link", name="Revoke"))
    expect(staff_page.get_by_role("heading", level=1)).to_contain_text("Revoke")
    axe.check(staff_page, "revoke confirmation, desktop")
    press(staff_page, "Revoke this credential")  # no reason yet: refused, said next to the field
    expect(staff_page.locator("#reason-error")).to_contain_text("Say why the credential is revoked.")
    axe.check(staff_page, "revoke confirmation with an error, desktop")
    staff_page.get_by_label("Reason").fill(REASON)
    press(staff_page, "Revoke this credential")
    expect(staff_page.locator(".flash-success")).to_contain_text("Revoked")
    expect(staff_page.locator(f"#issued-{issued_id}")).to_contain_text("Revoked")

    sign_in(phone_page, STAFF_EMAIL, DEMO_PASSWORD)
    for label, path in (("credentials issued", "/staff/credentials?status=revoked"),
                        ("revoked credential", f"/staff/credentials/{issued_id}/revoke")):
        phone_page.goto(path)
        axe.check(phone_page, f"{label}, phone")
        no_sideways_scroll(axe, phone_page, label)

    # The visitor reloads: revoked, with the date and the reason; the same file now checks as revoked.
    page.goto(public_path)
    expect(page.locator(".status-line")).to_contain_text("Revoked on ")
    expect(page.locator(".status-reason")).to_contain_text(REASON)
    axe.check(page, "public page of a revoked credential, desktop")
    page.goto("/verify")
    check_file(page, document)
    expect(page.locator(".status-line")).to_contain_text("Revoked on ")
    axe.check(page, "file check of a revoked credential, desktop")
    axe.assert_clean()
