"""The audit log: sign-ins, failed sign-ins, submits and withdrawals, each recorded once with who, what and where."""

import io

import pytest
from flask import current_app
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.extensions import db
from portal.submissions import services as submissions
from portal.submissions.models import State
from tests.conftest import PASSWORD, TINY_PDF, complete_answers

ADDRESS = "203.0.113.42"
FROM_ADDRESS = {"environ_base": {"REMOTE_ADDR": ADDRESS}}


def events(action: str) -> list[tuple]:
    """(actor_id, subject_type, subject_id, address, detail) of every entry with this action."""
    rows = db.session.execute(
        select(AuditEvent.actor_id, AuditEvent.subject_type, AuditEvent.subject_id, AuditEvent.address,
               AuditEvent.detail)
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.id)
    ).all()
    return [tuple(row) for row in rows]


@pytest.fixture
def educator(make_user, login_as):
    user = make_user(name="Dana Whitfield")
    login_as(user)
    return user


def test_sign_in_records_one_entry_with_actor_and_address(client, make_user):
    user = make_user(email="dana@example.org")

    response = client.post("/sign-in", data={"email": "dana@example.org", "password": PASSWORD}, **FROM_ADDRESS)

    assert response.status_code == 302
    assert events("account.sign_in") == [(user.id, "users", user.id, ADDRESS, {})]
    assert events("account.sign_in_failed") == []


def test_failed_sign_in_for_a_known_email_records_one_entry(client, make_user):
    user = make_user(email="dana@example.org")

    response = client.post("/sign-in", data={"email": "Dana@Example.org", "password": "wrong password"},
                           **FROM_ADDRESS)

    assert response.status_code == 200
    assert events("account.sign_in_failed") == [(user.id, None, None, ADDRESS, {"email": "dana@example.org"})]
    assert events("account.sign_in") == []


def test_failed_sign_in_for_an_unknown_email_records_no_actor_and_the_normalized_email(client, make_user):
    make_user(email="dana@example.org")

    response = client.post("/sign-in", data={"email": "  NoBody@Example.ORG ", "password": PASSWORD}, **FROM_ADDRESS)

    assert response.status_code == 200
    assert events("account.sign_in_failed") == [(None, None, None, ADDRESS, {"email": "nobody@example.org"})]
    assert events("account.sign_in") == []


def test_submit_records_one_entry_for_the_submission(client, educator, make_submission):
    draft = make_submission(educator=educator, slug="foundations", state=State.DRAFT)
    submissions.add_artifact(
        educator=educator, submission=draft, part_key="data_snapshot", stream=io.BytesIO(TINY_PDF),
        filename="snapshot.pdf", config=current_app.config,
    )
    db.session.commit()
    answers = complete_answers(draft.credential)
    form = {"revision": "1", "action": "submit", **{f"{key}-text": a["text"] for key, a in answers.items()}}

    response = client.post(f"/submissions/{draft.id}/save", data=form, **FROM_ADDRESS)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/submissions/{draft.id}/versions/1"
    assert events("submission.submitted") == [(educator.id, "submissions", draft.id, ADDRESS, {"version": 1})]


def test_withdraw_records_one_entry_for_the_submission(client, educator, make_submission):
    submitted = make_submission(educator=educator, slug="foundations", state=State.SUBMITTED)

    response = client.post(f"/submissions/{submitted.id}/withdraw", **FROM_ADDRESS)

    assert response.status_code == 302
    assert events("submission.withdrawn") == [(educator.id, "submissions", submitted.id, ADDRESS, {"version": 1})]


def test_refused_withdrawal_records_nothing(client, educator, make_submission):
    in_review = make_submission(educator=educator, slug="foundations", state=State.IN_REVIEW)

    client.post(f"/submissions/{in_review.id}/withdraw", **FROM_ADDRESS)

    db.session.expire_all()
    assert in_review.current_version.state == State.IN_REVIEW
    assert events("submission.withdrawn") == []


def test_entries_written_outside_a_request_have_no_address(make_submission):
    submission = make_submission(slug="foundations", state=State.SUBMITTED)

    (entry,) = events("submission.submitted")

    assert entry == (submission.educator_id, "submissions", submission.id, None, {"version": 1})


def test_forged_forwarded_for_header_does_not_change_the_recorded_address(client, make_user):
    make_user(email="dana@example.org")

    client.post(
        "/sign-in", data={"email": "dana@example.org", "password": "wrong password"},
        headers={"X-Forwarded-For": "198.51.100.7"}, **FROM_ADDRESS,
    )

    assert [entry[3] for entry in events("account.sign_in_failed")] == [ADDRESS]
