"""End to end in Chromium: an educator who has earned Foundations follows the "earned" notice to the share
panel, downloads the credential as JSON, as a baked badge and as a PDF certificate, turns the public page on
and off, copies the link, and hands over to LinkedIn; axe-core checks the pages at desktop width and at 375px."""

import io
import json
import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from portal.badges.baking import unbake
from portal.badges.models import IssuedCredential
from portal.extensions import db
from tests.browser.conftest import follow, press

FOUNDATIONS_TITLE = "Foundations of Digital Equity: Understanding the Homework Gap"


def issued_row(live_app, account) -> IssuedCredential:
    with live_app.app_context():
        issued = db.session.scalar(select(IssuedCredential).where(IssuedCredential.earner_id == account.id))
        db.session.expunge(issued)
        db.session.remove()
    return issued


def download(page, link_name: str):
    """Activate a download link with the keyboard; returns (suggested file name, bytes)."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).press("Enter")
    file = info.value
    return file.suggested_filename, open(file.path(), "rb").read()


def test_earner_shares_a_credential(page, context, live_app, make_account, sign_in, axe):
    account = make_account(earned_foundations=True, name="Zoë Browser-Ortiz")
    issued = issued_row(live_app, account)
    sign_in(page, account.email, account.password)

    # The "earned" notice leads to the share panel on the earned version's page.
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Notices")))
    follow(page, page.get_by_role("button", name=f"“{FOUNDATIONS_TITLE}” was earned."))
    expect(page).to_have_url(re.compile(r"/submissions/\d+/versions/1#share$"))
    expect(page.get_by_text(re.compile(r"^Earned on \d{1,2} \w+ \d{4}\.$"))).to_be_visible()
    panel = page.locator("#share")
    expect(panel.get_by_role("heading", name="Share")).to_be_visible()
    expect(panel.get_by_text("Your public page is hidden.")).to_be_visible()
    axe.check(page, "earned version page with the share panel")

    # The credential's own page, from My work.
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="My work"))
    follow(page, page.get_by_role("link", name=re.compile(r"^My credentials")))
    axe.check(page, "my credentials")
    follow(page, page.get_by_role("link", name=FOUNDATIONS_TITLE))
    expect(page.get_by_role("heading", level=1)).to_have_text(FOUNDATIONS_TITLE)
    axe.check(page, "credential page, hidden")

    name, body = download(page, "Credential file (JSON)")
    assert name == "foundations-credential.json"
    assert body.decode("utf-8") == issued.document
    assert json.loads(body)["id"] == f"urn:uuid:{issued.uuid}"
    name, body = download(page, "Badge image (PNG)")
    assert name == "foundations-badge.png"
    assert unbake(body) == issued.document
    name, body = download(page, "Certificate (PDF)")
    assert name == "foundations-certificate.pdf"
    text = " ".join(PdfReader(io.BytesIO(body)).pages[0].extract_text().split())
    assert "Zoë Browser-Ortiz" in text and FOUNDATIONS_TITLE in text and f"urn:uuid:{issued.uuid}" in text

    # Turn the public page on: the panel says so, and the copy button copies the link.
    press(page, "Make the public page visible")
    expect(page.get_by_text("Your public page is now visible: anyone with its link can see")).to_be_visible()
    expect(page.locator("#share").get_by_text("Your public page is visible.")).to_be_visible()
    public_link = page.get_by_label("Link to your public page").input_value()
    assert public_link.endswith(f"/credentials/{issued.share_token}")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy link").press("Enter")
    expect(page.get_by_role("status").filter(has_text="Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == public_link
    linkedin = page.get_by_role("link", name="Add to LinkedIn profile").get_attribute("href")
    params = parse_qs(urlsplit(linkedin).query)
    assert params["name"] == [FOUNDATIONS_TITLE] and params["certUrl"] == [public_link]
    axe.check(page, "credential page, visible")

    # Hidden again, "Make public and copy link" does both and says so.
    press(page, "Hide the public page")
    expect(page.locator("#share").get_by_text("Your public page is hidden.")).to_be_visible()
    page.evaluate("navigator.clipboard.writeText('something else')")
    press(page, "Make public and copy link")
    expect(page.get_by_text("Your public page is now visible and the link is copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == public_link

    # Hidden again, the LinkedIn button makes the page visible before it hands over to LinkedIn.
    press(page, "Hide the public page")
    # (LinkedIn is stood in for by the test: this machine may not reach it)
    linkedin = re.compile(r"^https://www\.linkedin\.com/profile/add\?")
    page.route(linkedin, lambda route: route.fulfill(status=200, content_type="text/html",
                                                     body="<!doctype html><title>LinkedIn</title>"))
    with page.expect_request(linkedin) as request:
        page.get_by_role("button", name="Add to LinkedIn profile").press("Enter")
    page.wait_for_url(linkedin)
    assert parse_qs(urlsplit(request.value.url).query)["certId"] == [f"urn:uuid:{issued.uuid}"]
    page.goto(f"/my/credentials/{issued.id}")
    expect(page.get_by_text("Your public page was made visible so that the link on LinkedIn works.")).to_be_visible()
    expect(page.locator("#share").get_by_text("Your public page is visible.")).to_be_visible()
    assert issued_row(live_app, account).is_public is True
    axe.assert_clean()


def test_share_panel_fits_a_phone(phone_page, live_app, make_account, sign_in, assert_accessible):
    account = make_account(earned_foundations=True)
    issued = issued_row(live_app, account)
    sign_in(phone_page, account.email, account.password)
    phone_page.goto(f"/my/credentials/{issued.id}")
    expect(phone_page.locator("#share").get_by_role("heading", name="Share")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(phone_page, "credential page at 375px")
