"""Revoking an issued credential from the staff pages: a confirmation page with a reason, POST with CSRF, audited,
the earner told, and the public page and the status list changed at once."""


from sqlalchemy import select

from portal import create_app
from portal.audit import AuditEvent
from portal.badges.models import IssuedCredential
from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage

REASON = "The district plan was copied from another published plan."


def revoke_url(issued) -> str:
    return f"/staff/credentials/{issued.id}/revoke"


def fresh(issued) -> IssuedCredential:
    db.session.expire_all()
    return db.session.get(IssuedCredential, issued.id)


def test_confirmation_page_shows_what_is_revoked(client, login_as, staff, make_user, issue):
    issued = issue(make_user(name="Dana Whitfield", email="dana@example.org"))
    login_as(staff)
    html = client.get(revoke_url(issued)).get_data(as_text=True)
    assert "Revoke “Foundations of Digital Equity" in html
    assert "Dana Whitfield (dana@example.org)" in html
    assert f"urn:uuid:{issued.uuid}" in html
    assert "Revoking cannot be undone." in html
    assert '<textarea' in html and 'name="reason"' in html


def test_revoking_with_a_reason_changes_the_public_page_and_the_status_list_at_once(
        client, login_as, staff, make_user, issue):
    earner = make_user(name="Dana Whitfield", email="dana@example.org")
    issued = issue(earner, public=True)
    assert "Valid: the signature checks out" in client.get(f"/credentials/{issued.share_token}").get_data(True)
    login_as(staff)
    response = client.post(revoke_url(issued), data={"reason": f"  {REASON} "})
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/credentials")
    listing = client.get("/staff/credentials").get_data(as_text=True)
    assert "Revoked “Foundations of Digital Equity" in listing  # the flash
    assert f"/staff/credentials/{issued.id}/revoke" not in listing
    issued = fresh(issued)
    assert issued.revoked_at is not None
    assert (issued.revoked_reason, issued.revoked_by_id) == (REASON, staff.id)
    public = client.get(f"/credentials/{issued.share_token}").get_data(as_text=True)
    assert f"Revoked on {issued.revoked_at.day} {issued.revoked_at:%B %Y}" in public
    assert REASON in public
    status = client.get("/badges/status/revocation").get_json()
    from portal.badges.status import bit_is_set, decode_bits

    assert bit_is_set(decode_bits(status["credentialSubject"]["encodedList"]), issued.status_index)


def test_revoking_is_audited_and_the_earner_is_told(client, login_as, staff, make_user, issue):
    earner = make_user(name="Dana Whitfield", email="dana@example.org")
    issued = issue(earner)
    login_as(staff)
    client.post(revoke_url(issued), data={"reason": REASON})
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "badge.revoke"))
    assert (event.actor_id, event.subject_id, event.detail["reason"]) == (staff.id, issued.id, REASON)
    notice = db.session.scalar(select(Notice).where(Notice.user_id == earner.id, Notice.text.contains("revoked")))
    assert REASON in notice.text
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "dana@example.org",
                                                         OutboxMessage.subject.contains("revoked")))
    assert mail is not None


def test_revoking_without_a_reason_is_refused_next_to_the_field(client, login_as, staff, make_user, issue):
    issued = issue(make_user())
    login_as(staff)
    response = client.post(revoke_url(issued), data={"reason": "   "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="reason-error"' in html and "Say why the credential is revoked." in html
    assert fresh(issued).revoked_at is None


def test_overlong_reason_is_refused_and_kept(client, login_as, staff, make_user, issue):
    issued = issue(make_user())
    login_as(staff)
    html = client.post(revoke_url(issued), data={"reason": "x" * 501}).get_data(as_text=True)
    assert "Keep the reason to 500 characters." in html
    assert "x" * 501 in html  # nothing typed is lost
    assert fresh(issued).revoked_at is None


def test_revoking_twice_keeps_the_first_revocation(client, login_as, staff, make_user, issue):
    issued = issue(make_user())
    login_as(staff)
    client.post(revoke_url(issued), data={"reason": REASON})
    first = fresh(issued).revoked_at
    response = client.post(revoke_url(issued), data={"reason": "Another reason"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This credential was already revoked." in html and REASON in html
    issued = fresh(issued)
    assert (issued.revoked_at, issued.revoked_reason) == (first, REASON)
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "badge.revoke")).all()) == 1


def test_unknown_credential_is_not_found(client, login_as, staff):
    login_as(staff)
    assert client.get("/staff/credentials/999999/revoke").status_code == 404


def test_revoke_form_needs_its_csrf_token(app_config, staff, make_user, issue):
    issued = issue(make_user())
    csrf_app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = csrf_app.test_client()
    from portal.accounts import services as accounts

    token = accounts.start_session(staff)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
    assert client.post(revoke_url(issued), data={"reason": REASON}).status_code == 400
    assert fresh(issued).revoked_at is None
