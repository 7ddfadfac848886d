"""The earner's credential page and share panel: who sees it, what each download holds, the public switch."""

import html
import io
import json
import re
import uuid
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader

from portal.badges.baking import unbake
from portal.badges.links import public_page_url
from portal.badges.models import IssuedCredential, Kind
from portal.badges.sharing import issued_for_version
from portal.extensions import db
from portal.submissions.models import State

ISSUER = "Equity & Access Academy"


def document_for(issued_id: str, title: str) -> str:
    # Stored as issued: odd spacing and non-ASCII must come back byte for byte.
    return json.dumps({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:uuid:{issued_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": {"id": "did:web:portal.example.org", "type": ["Profile"], "name": ISSUER},
        "credentialSubject": {"identifier": [{"identityType": "name", "identityHash": "Zoë Ortiz"}]},
        "proof": {"proofValue": "z3FXQ"},
    }, ensure_ascii=False, indent=1)


@pytest.fixture
def make_issued(make_submission, make_user):
    """An earned Foundations submission and its issued credential (issued by the services when they do)."""

    def make(educator=None, **changes):
        educator = educator or make_user(name="Zoë O'Ortiz")
        submission = make_submission(educator, "foundations", State.EARNED)
        version = submission.current_version
        issued = issued_for_version(version)
        if issued is None:
            token = uuid.uuid4()
            issued = IssuedCredential(
                uuid=str(token), earner_id=educator.id, credential_id=submission.credential_id,
                stack_id=submission.credential.stack_id, version_id=version.id, kind=Kind.CREDENTIAL,
                issued_at=datetime(2026, 3, 9, 14, 0), document=document_for(str(token), submission.credential.title),
                status_index=uuid.uuid4().int % 131072, share_token=uuid.uuid4().hex,
            )
            db.session.add(issued)
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
    assert "you have earned this micro-credential on <time" in page
    assert 'id="share-heading">Share</h2>' in page
    assert f'name="next" value="{path}"' in page
    login_as(make_user(roles=("staff",)))
    page = client.get(path).get_data(as_text=True)
    assert "you have earned this micro-credential on <time" in page
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
