"""The earner's credential page and share panel: who sees it, what each download holds, the public switch."""

import html
import io
import json
import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.badges import services, sharing
from portal.badges.baking import unbake
from portal.badges.links import public_page_url
from portal.badges.models import IssuedCredential, Kind
from portal.badges.sharing import issued_for_version
from portal.catalog.models import Credential
from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage

ISSUER = "Equity & Access Academy"


@pytest.fixture
def make_issued(app, earn, make_user):
    """Foundations earned through the real review flow, with the credential the portal issued for it."""
    app.config["BADGE_ISSUER_NAME"] = ISSUER

    def make(educator=None, **changes):
        submission = earn(educator or make_user(name="Zoë O'Ortiz"))
        issued = issued_for_version(submission.current_version)
        for key, value in changes.items():
            setattr(issued, key, value)
        db.session.commit()
        return issued

    return make


def page_of(client, issued) -> str:
    response = client.get(f"/my/credentials/{issued.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_earned_page_shows_date_and_share_panel_to_earner(client, login_as, make_issued):
    issued = make_issued(issued_at=datetime(2026, 3, 9, 14, 0))
    login_as(issued.earner)
    page = page_of(client, issued)
    assert "Earned on <time datetime=\"2026-03-09T14:00:00Z\">9 March 2026</time>" in page
    assert 'id="share-heading">Share</h2>' in page
    assert "Your public page is hidden." in page
    assert f'value="{public_page_url(issued)}"' in page
    assert "Part 1. Overview Questions: <strong>Yes</strong>" in page


@pytest.mark.parametrize("who", ["other educator", "staff", "reviewer"])
def test_earned_page_and_downloads_are_404_for_anyone_else(client, login_as, make_issued, make_user, who):
    issued = make_issued()
    roles = {"other educator": ("educator",), "staff": ("staff",), "reviewer": ("reviewer",)}[who]
    login_as(make_user(roles=roles))
    for path in ("", "/credential.json", "/badge.png", "/certificate.pdf"):
        assert client.get(f"/my/credentials/{issued.id}{path}").status_code == 404
    for path in ("/visibility", "/copy-link", "/linkedin"):
        assert client.post(f"/my/credentials/{issued.id}{path}", data={"public": "1"}).status_code == 404
    db.session.refresh(issued)
    assert issued.is_public is False


def test_earned_page_sends_anonymous_visitors_to_sign_in(client, make_issued):
    issued = make_issued()
    response = client.get(f"/my/credentials/{issued.id}/credential.json")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_download_json_is_the_stored_document_as_an_attachment(client, login_as, make_issued):
    issued = make_issued()
    login_as(issued.earner)
    response = client.get(f"/my/credentials/{issued.id}/credential.json")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Content-Disposition"] == "attachment; filename=foundations-credential.json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == issued.document.encode("utf-8")
    assert json.loads(response.data) == issued.document_json


def test_download_png_unbakes_to_the_identical_document(client, login_as, make_issued):
    issued = make_issued()
    login_as(issued.earner)
    response = client.get(f"/my/credentials/{issued.id}/badge.png")
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == "attachment; filename=foundations-badge.png"
    assert unbake(response.data) == issued.document


def test_download_pdf_holds_earner_credential_and_id(client, login_as, make_issued):
    issued = make_issued()
    login_as(issued.earner)
    response = client.get(f"/my/credentials/{issued.id}/certificate.pdf")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=foundations-certificate.pdf"
    text = " ".join(PdfReader(io.BytesIO(response.data)).pages[0].extract_text().split())
    assert "Zoë O'Ortiz" in text
    assert "Foundations of Digital Equity: Understanding the Homework Gap" in text
    assert f"Credential ID: urn:uuid:{issued.uuid}" in text
    assert f"Issued by {ISSUER} on" in text
    assert issued.share_token in text


def test_linkedin_link_on_public_page_is_encoded_and_html_escaped(client, login_as, make_issued):
    issued = make_issued(is_public=True, issued_at=datetime(2026, 3, 9, 14, 0))
    login_as(issued.earner)
    page = page_of(client, issued)
    [href] = re.findall(r'href="(https://www\.linkedin\.com/profile/add\?[^"]*)"', page)
    assert "&amp;name=" in href and "&name=" not in href  # the separators are escaped in HTML
    params = parse_qs(urlsplit(html.unescape(href)).query)
    assert params == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": ["Foundations of Digital Equity: Understanding the Homework Gap"],
        "organizationName": [ISSUER],
        "issueYear": ["2026"],
        "issueMonth": ["3"],
        "certUrl": [public_page_url(issued)],
        "certId": [f"urn:uuid:{issued.uuid}"],
    }


def test_revoked_credential_has_no_share_panel_and_no_downloads(client, login_as, make_issued):
    issued = make_issued(revoked_at=datetime(2026, 4, 2), revoked_reason="Plagiarised plan")
    login_as(issued.earner)
    page = page_of(client, issued)
    assert "This credential was revoked on 2 April 2026." in page
    assert "Reason given: Plagiarised plan" in page
    assert 'id="share-heading"' not in page
    assert client.get(f"/my/credentials/{issued.id}/credential.json").status_code == 404


def test_version_page_shows_date_and_panel_to_the_earner_only(client, login_as, make_issued, make_user):
    issued = make_issued(issued_at=datetime(2026, 3, 9, 14, 0))
    path = f"/submissions/{issued.version.submission_id}/versions/{issued.version.number}"
    login_as(issued.earner)
    page = client.get(path).get_data(as_text=True)
    assert 'Earned on <time datetime="2026-03-09T14:00:00Z">9 March 2026</time>.' in page
    assert 'id="share-heading">Share</h2>' in page
    assert f'name="next" value="{path}"' in page
    login_as(make_user(roles=("staff",)))
    page = client.get(path).get_data(as_text=True)
    assert 'Earned on <time datetime="2026-03-09T14:00:00Z">9 March 2026</time>.' in page
    assert 'id="share-heading"' not in page
    assert "/my/credentials/" not in page


def test_my_credentials_lists_only_mine(client, login_as, make_issued, make_user):
    mine = make_issued()
    other = make_issued(educator=make_user(name="Someone Else"))
    login_as(mine.earner)
    page = client.get("/my/credentials").get_data(as_text=True)
    assert f'href="/my/credentials/{mine.id}"' in page
    assert f'href="/my/credentials/{other.id}"' not in page
    assert "Hidden" in page


def test_badge_image_is_public_png_for_credential_and_stack(client, stack):
    for path in ("/badges/digital-equity/foundations.png", "/badges/digital-equity.png"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.mimetype == "image/png"
        assert response.data.startswith(b"\x89PNG")
        assert "public" in response.headers["Cache-Control"]
    assert client.get("/badges/digital-equity/nope.png").status_code == 404
    assert client.get("/badges/nope.png").status_code == 404


def test_downloaded_json_verifies_with_the_published_key(client, login_as, make_issued):
    issued = make_issued()
    login_as(issued.earner)
    document = json.loads(client.get(f"/my/credentials/{issued.id}/credential.json").data)
    verification = services.verify_document(document)
    assert (verification.signature_ok, verification.status) == (True, "valid")
    assert issued.earner.email not in json.dumps(document)


def test_visibility_switch_shows_then_hides_the_public_page(client, login_as, make_issued):
    issued = make_issued()
    login_as(issued.earner)
    response = client.post(f"/my/credentials/{issued.id}/visibility", data={"public": "1"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Your public page is now visible: anyone with its link can see and check this credential." in page
    assert "Your public page is visible." in page
    assert 'name="public" value="0"' in page
    db.session.refresh(issued)
    assert issued.is_public is True

    response = client.post(f"/my/credentials/{issued.id}/visibility", data={"public": "0"}, follow_redirects=True)
    assert "Your public page is now hidden" in response.get_data(as_text=True)
    db.session.refresh(issued)
    assert issued.is_public is False


def test_visibility_switch_refuses_other_values(client, login_as, make_issued):
    issued = make_issued()
    login_as(issued.earner)
    assert client.post(f"/my/credentials/{issued.id}/visibility", data={"public": "yes"}).status_code == 400
    db.session.refresh(issued)
    assert issued.is_public is False


@pytest.mark.parametrize(("copied", "message"), [
    ("1", "Your public page is now visible and the link is copied."),
    ("", "Your public page is now visible: copy the link below."),
])
def test_copy_link_makes_the_page_visible_first_and_says_so(client, login_as, make_issued, copied, message):
    issued = make_issued()
    login_as(issued.earner)
    back = f"/submissions/{issued.version.submission_id}/versions/{issued.version.number}"
    response = client.post(f"/my/credentials/{issued.id}/copy-link", data={"next": back, "copied": copied})
    assert response.headers["Location"] == f"{back}#share"
    page = client.get(back).get_data(as_text=True)
    assert message in page
    assert "Your public page is visible." in page
    db.session.refresh(issued)
    assert issued.is_public is True


def test_share_buttons_never_return_to_another_site(client, login_as, make_issued):
    issued = make_issued()
    login_as(issued.earner)
    response = client.post(f"/my/credentials/{issued.id}/copy-link", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == f"/my/credentials/{issued.id}#share"


def test_linkedin_button_makes_the_page_visible_then_goes_to_linkedin(client, login_as, make_issued):
    issued = make_issued()
    login_as(issued.earner)
    page = page_of(client, issued)
    assert f'action="/my/credentials/{issued.id}/linkedin"' in page  # hidden page: a form, not a bare link
    response = client.post(f"/my/credentials/{issued.id}/linkedin")
    assert response.status_code == 303
    db.session.refresh(issued)
    assert response.headers["Location"] == sharing.linkedin_url(issued)
    assert issued.is_public is True
    assert "made visible so that the link on LinkedIn works" in page_of(client, issued)


def test_earned_notice_and_email_link_to_the_share_panel(app, make_issued):
    issued = make_issued()
    version = issued.version
    path = f"/submissions/{version.submission_id}/versions/{version.number}#share"
    notice = db.session.scalar(select(Notice).where(Notice.user_id == issued.earner_id, Notice.text.like("%earned%")))
    assert (notice.text, notice.link) == ("“Foundations of Digital Equity: Understanding the Homework Gap” was earned.",
                                          path)
    mail = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.to_address == issued.earner.email, OutboxMessage.subject.like("Earned:%")))
    assert app.config["PORTAL_URL"].rstrip("/") + path in mail.body
    assert "share panel" in mail.body


def test_stack_credential_has_its_page_panel_notice_and_certificate(client, login_as, earn, make_user, stack):
    educator = make_user(name="Stacy Stack")
    for credential in db.session.scalars(select(Credential).order_by(Credential.position)).all():
        earn(educator, credential.slug)
    stack_issued = db.session.scalar(select(IssuedCredential).where(
        IssuedCredential.earner_id == educator.id, IssuedCredential.kind == Kind.STACK))
    assert stack_issued is not None
    notice = db.session.scalar(select(Notice).where(Notice.link == f"/my/credentials/{stack_issued.id}#share"))
    assert notice.text == "You hold every credential of “Digital Equity”: the stack credential was issued."
    login_as(educator)
    page = page_of(client, stack_issued)
    assert 'id="share-heading">Share</h2>' in page
    assert 'src="/badges/digital-equity.png"' in page
    response = client.get(f"/my/credentials/{stack_issued.id}/certificate.pdf")
    assert response.headers["Content-Disposition"] == "attachment; filename=digital-equity-certificate.pdf"
    text = " ".join(PdfReader(io.BytesIO(response.data)).pages[0].extract_text().split())
    assert "has earned the stack credential" in text
    assert "Foundations of Digital Equity: Understanding the Homework Gap Earned" in text
    assert unbake(client.get(f"/my/credentials/{stack_issued.id}/badge.png").data) == stack_issued.document


def test_only_pages_with_the_share_panel_let_forms_go_on_to_linkedin(client, login_as, make_issued):
    issued = make_issued()
    login_as(issued.earner)
    allowed = "form-action 'self' https://www.linkedin.com"
    assert allowed in client.get(f"/my/credentials/{issued.id}").headers["Content-Security-Policy"]
    version_page = f"/submissions/{issued.version.submission_id}/versions/{issued.version.number}"
    assert allowed in client.get(version_page).headers["Content-Security-Policy"]
    assert "form-action 'self';" in client.get("/my").headers["Content-Security-Policy"]
    assert "form-action 'self';" in client.get("/my/credentials").headers["Content-Security-Policy"]


def test_my_credentials_costs_the_same_queries_for_one_or_many(client, login_as, earn, make_user, count_queries):
    educator = make_user()
    earn(educator, "foundations")
    login_as(educator)
    with count_queries() as one:
        assert client.get("/my/credentials").status_code == 200
    earn(educator, "identifying-challenges")
    earn(educator, "engaging-stakeholders")
    with count_queries() as three:
        page = client.get("/my/credentials").get_data(as_text=True)
    assert page.count('href="/my/credentials/') == 3
    assert three[0] == one[0]
