"""Checking an uploaded credential file at /verify: genuine, unaltered, current, in plain words; bad files get a
message next to the field, never an error page."""

import io
import json

import pytest

from portal import create_app
from portal.badges import services as badges
from portal.badges.baking import bake
from portal.badges.images import badge_png
from portal.extensions import db

GENUINE = "Genuine, unaltered and current."


def upload(client, data: bytes, filename="credential.json"):
    return client.post("/verify", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def checked(client, data: bytes, filename="credential.json") -> str:
    response = upload(client, data, filename)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_verify_page_has_the_upload_form(client):
    html = client.get("/verify").get_data(as_text=True)
    assert '<form method="post" enctype="multipart/form-data"' in html
    assert 'accept=".json,.png,' in html


def test_genuine_json_is_genuine_unaltered_and_current(client, make_user, issue):
    issued = issue(make_user(name="Dana Whitfield", email="dana.private@example.org"))
    html = checked(client, issued.document.encode())
    assert GENUINE in html
    assert "Dana Whitfield" in html and "Foundations of Digital Equity" in html
    assert f"urn:uuid:{issued.uuid}" in html
    assert "dana.private" not in html


def test_baked_png_is_genuine(client, make_user, issue):
    issued = issue(make_user(name="Dana Whitfield"))
    png = bake(badge_png("Foundations", "Digital Equity", "Micro-credential 1 of 5"), issued.document)
    html = checked(client, png, "badge.png")
    assert GENUINE in html and "Dana Whitfield" in html


@pytest.mark.parametrize("change", [
    lambda d: d["credentialSubject"]["identifier"].__setitem__(
        next(i for i, x in enumerate(d["credentialSubject"]["identifier"]) if x["identityType"] == "name"),
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "Mallory Forger"}),
    lambda d: d.__setitem__("validFrom", "2020-01-01T00:00:00Z"),
    lambda d: d["credentialSubject"]["achievement"].__setitem__("name", "Implementing a District Plan"),
])
def test_file_with_one_field_changed_is_refused_as_altered(client, make_user, issue, change):
    issued = issue(make_user(name="Dana Whitfield"))
    document = json.loads(issued.document)
    change(document)
    html = checked(client, json.dumps(document).encode())
    assert GENUINE not in html
    assert "Altered: this is not the credential as it was issued." in html
    assert "Mallory Forger" not in html  # what an altered file claims is not repeated as fact


def test_tampered_baked_png_is_refused(client, make_user, issue):
    issued = issue(make_user(name="Dana Whitfield"))
    tampered = issued.document.replace("Dana Whitfield", "Mallory Forger")
    html = checked(client, bake(badge_png("Foundations", "Digital Equity", "1 of 5"), tampered), "badge.png")
    assert "Altered" in html and GENUINE not in html


def test_revoked_file_says_revoked(client, make_user, issue, staff):
    issued = issue(make_user(), public=True)
    badges.revoke_credential(actor=staff, issued=issued, reason="Issued in error")
    db.session.commit()
    html = checked(client, issued.document.encode())
    assert f"Revoked on {issued.revoked_at.day} {issued.revoked_at:%B %Y}." in html
    assert "Reason given by the program staff: Issued in error" in html
    assert GENUINE not in html


def test_revoked_hidden_credential_gives_the_date_but_not_the_reason(client, make_user, issue, staff):
    issued = issue(make_user())
    badges.revoke_credential(actor=staff, issued=issued, reason="Private matter")
    db.session.commit()
    html = checked(client, issued.document.encode())
    assert "Revoked on" in html and "Private matter" not in html


def test_credential_from_another_issuer_is_not_genuine(client, make_user, issue):
    document = json.loads(issue(make_user()).document)
    document["issuer"]["id"] = "did:web:elsewhere.example"
    document["id"] = "urn:uuid:00000000-0000-4000-8000-000000000000"
    html = checked(client, json.dumps(document).encode())
    assert "Not genuine" in html and "not issued by this portal" in html


def test_copy_of_our_credential_naming_another_issuer_is_altered(client, make_user, issue):
    document = json.loads(issue(make_user()).document)
    document["issuer"]["id"] = "did:web:elsewhere.example"
    assert "Altered" in checked(client, json.dumps(document).encode())


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"", "empty.json", "The file is empty."),
    (b"%PDF-1.7 a certificate", "certificate.pdf", "neither a credential (.json) nor a badge image (.png)"),
    (b'{"name": "no proof here"}', "credential.json", "not a signed credential"),
    (badge_png("Foundations", "Digital Equity", "1 of 5"), "badge.png", "has no credential baked into it"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png", "Download the badge image again"),
    (b"x" * (2 * 1024 * 1024 + 1), "huge.json", "larger than 2 MB"),
])
def test_bad_file_gets_a_message_next_to_the_field(client, data, filename, message):
    html = checked(client, data, filename)
    error = html.split('<p class="field-error" id="file-error">')[1].split("</p>")[0]
    assert message in error.replace("&#39;", "'").replace("&#34;", '"')
    assert 'aria-invalid="true"' in html
    assert "There is a problem" in html


def test_no_file_chosen_is_said_next_to_the_field(client):
    response = client.post("/verify", data={}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Choose the credential" in response.get_data(as_text=True).split('id="file-error">')[1]


def test_verify_form_needs_its_csrf_token(app_config, make_user):
    client = create_app({**app_config, "WTF_CSRF_ENABLED": True}).test_client()
    response = upload(client, b"{}")
    assert response.status_code == 400
    page = client.get("/verify").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/verify", data={"file": (io.BytesIO(b"{}"), "c.json"), "csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 200


def test_footer_links_the_check(client):
    assert '<a href="/verify">Check a credential file</a>' in client.get("/").get_data(as_text=True)


def test_checks_are_rate_limited_per_address(app_config):
    client = create_app({**app_config, "VERIFY_LIMIT_PER_ADDRESS": "2 per minute"}).test_client()
    assert [upload(client, b"{}").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/verify").status_code == 200  # reading the page is not limited
