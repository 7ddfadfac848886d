"""Revoking, sharing, counting and checking files: the rules and their side effects."""

import pytest
from flask import Flask
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.badges import services
from portal.badges.links import issuer_did, public_page_url
from portal.badges.models import IssuedCredential
from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage
from tests.badges.conftest import issued_for


@pytest.fixture
def issued(earn, make_user):
    return issued_for(earn(make_user(name="Dana Educator", email="dana@example.org")))


def test_revoking_records_who_when_and_why_and_tells_the_earner(issued, make_user):
    staff = make_user(roles=("staff",))
    services.revoke_credential(actor=staff, issued=issued, reason="  Plan copied from another district  ")
    db.session.commit()
    assert issued.is_revoked and issued.revoked_by_id == staff.id
    assert issued.revoked_reason == "Plan copied from another district"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "badge.revoke"))
    assert (event.actor_id, event.subject_id, event.detail["reason"]) == (
        staff.id, issued.id, "Plan copied from another district")
    notice = db.session.scalar(select(Notice).where(Notice.user_id == issued.earner_id).order_by(Notice.id.desc()))
    assert notice.text.startswith("Your credential “Foundations of Digital Equity") and "revoked" in notice.text
    assert notice.link == f"/submissions/{issued.version.submission_id}/versions/1"
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "badge.revoked"))
    assert mail.to_address == "dana@example.org" and "Plan copied from another district" in mail.body


def test_revoking_twice_is_refused(issued, make_user):
    staff = make_user(roles=("staff",))
    services.revoke_credential(actor=staff, issued=issued, reason="")
    with pytest.raises(services.BadgeError, match="already revoked"):
        services.revoke_credential(actor=staff, issued=issued, reason="again")


def test_only_the_earner_shares_and_it_is_audited(issued, make_user):
    with pytest.raises(services.BadgeError):
        services.set_public(earner=make_user(), issued=issued, public=True)
    assert issued.is_public is False
    services.set_public(earner=issued.earner, issued=issued, public=True)
    services.set_public(earner=issued.earner, issued=issued, public=False)
    db.session.commit()
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "issued_credentials")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["badge.issue", "badge.share", "badge.hide"]


def test_earned_count_leaves_out_revoked_credentials(earn, make_user):
    rows = [issued_for(earn(make_user())) for _ in range(3)]
    credential_id = rows[0].credential_id
    assert services.earned_count(credential_id=credential_id) == 3
    services.revoke_credential(actor=make_user(roles=("staff",)), issued=rows[1], reason="")
    assert services.earned_count(credential_id=credential_id) == 2
    assert services.earned_count(stack_id=rows[0].stack_id) == 0  # nobody holds the whole stack


@pytest.mark.parametrize("document", [[], "text", 7, None, {}, {"@context": []}, {"proof": "x"}])
def test_checking_something_that_is_not_a_credential_says_so(app, document):
    verification = services.verify_document(document)
    assert verification.status == "invalid" and verification.signature_ok is False and verification.problem


def test_a_credential_of_another_issuer_is_unknown(issued):
    document = issued.document_json
    document["issuer"]["id"] = "did:web:elsewhere.example"
    document["proof"]["verificationMethod"] = "did:web:elsewhere.example#key-1"
    verification = services.verify_document(document)
    assert (verification.status, verification.problem) == ("unknown", "This credential was not issued by this portal.")


def test_a_genuine_credential_the_portal_has_no_record_of_is_unknown(issued):
    document = issued.document_json
    db.session.delete(issued)
    db.session.commit()
    verification = services.verify_document(document)
    assert verification.signature_ok is True and verification.status == "unknown" and verification.issued is None


def test_verification_finds_the_issued_row(issued):
    verification = services.verify_document(issued.document_json)
    assert verification == services.Verification(signature_ok=True, issued=issued, status="valid")


def test_the_public_page_url_uses_the_share_token(issued):
    assert public_page_url(issued) == f"http://127.0.0.1:5000/credentials/{issued.share_token}"


@pytest.mark.parametrize(("portal_url", "did"), [
    ("http://127.0.0.1:5000", "did:web:127.0.0.1%3A5000"),
    ("https://badges.example.org", "did:web:badges.example.org"),
    ("https://example.org/portal/", "did:web:example.org:portal"),
])
def test_the_issuer_did_is_did_web_of_the_portal_url(portal_url, did):
    app = Flask(__name__)
    app.config["PORTAL_URL"] = portal_url
    with app.app_context():
        assert issuer_did() == did


def test_one_credential_row_per_earner_and_credential(issued):
    assert services.issue_for_version(version=issued.version) is None
    assert db.session.scalar(select(db.func.count(IssuedCredential.id))) == 1


def test_the_database_refuses_a_second_row_for_the_same_credential(issued):
    from sqlalchemy.exc import IntegrityError

    db.session.add(IssuedCredential(
        uuid="00000000-0000-4000-8000-000000000000", earner_id=issued.earner_id, credential_id=issued.credential_id,
        stack_id=issued.stack_id, kind="credential", document="{}", status_index=(issued.status_index + 1) % 131072,
        share_token="another-token",
    ))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_checking_needs_only_the_published_keys(app, client, issued, tmp_path):
    app.config.update(BADGE_REQUIRE_KEY=True, BADGE_KEY_FILE=str(tmp_path / "gone.txt"))
    assert services.verify_document(issued.document_json).status == "valid"
    assert client.get("/badges/status/revocation").status_code == 503  # it cannot be signed without the key
    assert client.get("/.well-known/did.json").status_code == 200


@pytest.mark.parametrize("padding", [
    {"credentialSubject": {"extra": [{"n": i} for i in range(300)]}},  # many nodes without an id
    {"description": "x" * 200_000},
])
def test_an_oversized_file_is_refused_before_any_work(issued, padding, monkeypatch):
    from portal.badges import proof

    document = issued.document_json
    for key, value in padding.items():
        document[key] = {**document[key], **value} if isinstance(value, dict) else value
    monkeypatch.setattr(proof, "canonize", lambda *a, **k: pytest.fail("canonicalized an oversized file"))
    verification = services.verify_document(document)
    assert verification.status == "invalid" and "far larger" in verification.problem
