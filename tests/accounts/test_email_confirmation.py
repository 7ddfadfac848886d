"""Confirmed email addresses: sign-up, the confirmation link, submitting, and changing one's address."""

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from portal.submissions import services as submissions
from tests.accounts.helpers import last_link_to, link_in, mails_to, path_of
from tests.conftest import PASSWORD

SIGN_UP = {"name": "Ana Ruiz", "email": "ana@example.org", "organization": "Mesa County Schools",
           "password": "a long enough passphrase"}


def test_sign_up_says_the_same_whether_or_not_the_address_has_an_account(app, client, make_user):
    owner = make_user(email="taken@example.org")
    new = client.post("/sign-up", data=SIGN_UP)
    new_page = client.get(new.headers["Location"]).get_data(as_text=True).replace("ana@example.org", "EMAIL")
    other = app.test_client()
    taken = other.post("/sign-up", data={**SIGN_UP, "email": "taken@example.org"})
    taken_page = other.get(taken.headers["Location"]).get_data(as_text=True).replace("taken@example.org", "EMAIL")

    assert new.headers["Location"] == taken.headers["Location"] == "/sign-up/check-your-email"
    assert new_page == taken_page
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    assert db.session.get(User, owner.id).name == owner.name  # nothing about the owner changed
    (warning,) = mails_to("taken@example.org")
    assert warning.subject == "Someone tried to sign up with your address"
    assert "/password/forgot" in warning.body and link_in(warning) is None
    assert link_in(mails_to("ana@example.org")[0]).startswith("http://127.0.0.1:5000/email/confirm/")


def test_unconfirmed_account_can_draft_but_not_submit_until_the_link_is_followed(app, client, stack, credential):
    client.post("/sign-up", data=SIGN_UP)
    client.post("/sign-in", data={"email": SIGN_UP["email"], "password": SIGN_UP["password"]})
    user = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    foundations = credential("foundations")
    submission = submissions.start_submission(educator=user, credential=foundations)
    db.session.commit()

    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "Confirm your email address to submit." in page and "Resend the link" in page
    response = client.post(f"/submissions/{submission.id}/save", data={
        "action": "submit", "revision": submission.current_version.revision})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Confirm your email address (ana@example.org) before submitting. Your draft is saved." in page
    db.session.expire_all()
    assert submission.current_version.state == "draft"

    link = path_of(last_link_to("ana@example.org"))
    assert client.get(link).headers["Location"] == "/email/confirm"
    assert client.post("/email/confirm").headers["Location"] == "/account"
    assert db.session.get(User, user.id).email_confirmed_at is not None
    assert app.test_client().get(link).status_code == 410  # once only
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "Confirm your email address to submit." not in page
    with pytest.raises(submissions.NotReady):  # past the address check, on to the requirements
        submissions.submit(educator=db.session.get(User, user.id), submission=submission)


def test_resend_sends_a_new_link_and_the_old_one_stops_working(app, client):
    client.post("/sign-up", data=SIGN_UP)
    client.post("/sign-in", data={"email": SIGN_UP["email"], "password": SIGN_UP["password"]})
    first = path_of(last_link_to("ana@example.org"))
    assert client.post("/account/email/resend", data={"next": "/my"}).headers["Location"] == "/my"
    second = path_of(last_link_to("ana@example.org"))
    assert first != second
    assert app.test_client().get(first).status_code == 410


def test_staff_created_and_invited_accounts_start_confirmed(make_user):
    assert make_user(roles=("reviewer",)).is_email_confirmed


def test_changing_email_asks_for_the_password_and_takes_effect_on_confirmation(app, client, make_user, login_as):
    user = make_user(email="old@example.org")
    login_as(user)

    wrong = client.post("/account/email", data={"email": "new@example.org", "password": "not it"})
    assert wrong.status_code == 422 and "Your current password is not correct." in wrong.get_data(as_text=True)
    assert 'value="new@example.org"' in wrong.get_data(as_text=True)

    response = client.post("/account/email", data={"email": "New@Example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/account"
    assert db.session.get(User, user.id).email == "old@example.org"  # not yet
    (notice,) = mails_to("old@example.org")
    assert "new@example.org" in notice.body and link_in(notice) is None

    browser = app.test_client()  # the link may be opened anywhere
    browser.get(path_of(last_link_to("new@example.org")))
    assert "Use <strong>new@example.org</strong>" in browser.get("/email/confirm").get_data(as_text=True)
    assert browser.post("/email/confirm").headers["Location"] == "/sign-in"
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "new@example.org"
    signing_in = app.test_client().post("/sign-in", data={"email": "new@example.org", "password": PASSWORD})
    assert signing_in.status_code == 302


def test_changing_to_an_address_with_an_account_tells_its_owner_and_changes_nothing(client, make_user, login_as):
    user, other = make_user(email="mine@example.org"), make_user(email="theirs@example.org")
    login_as(user)
    response = client.post("/account/email", data={"email": other.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account"  # the same answer as for a free address
    (message,) = mails_to(other.email)
    assert link_in(message) is None and "already belongs to your account" in message.body


def test_the_account_page_lists_sign_in_methods(client, make_user, login_as):
    login_as(make_user())
    page = client.get("/account").get_data(as_text=True)
    assert 'id="sign-in-methods"' in page and "Email and password" in page


def test_accepting_a_roster_invitation_confirms_the_address(app, make_user):
    from portal.cohorts import invitations
    from portal.cohorts.members import _create_invited_user

    class Row:
        email, name = "invited@example.org", "Invited Person"

    user = _create_invited_user(Row, None, make_user(roles=("staff",)))
    assert not user.is_email_confirmed
    token = "an-invitation-token-for-this-test"
    db.session.add(invitations.Invitation(user=user, token_hash=invitations.token_hash(token),
                                          expires_at=invitations.utcnow() + invitations.timedelta(days=1)))
    db.session.flush()
    invitations.accept_invitation(token=token, password="my own passphrase")
    assert user.is_email_confirmed
