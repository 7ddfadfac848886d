"""District sign-in against a real OpenID Provider (oidc-provider on Node.js, started by the `oidc_provider`
fixture). The portal's own HTTP calls to the provider are real; where a test needs a token the provider would
not send to this flow (another client's, another nonce's, an expired or altered one), it gets a real token from
the provider and hands it to the portal in place of the one the code would have fetched."""

import base64
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.flask_client import FlaskOAuth2App
from sqlalchemy import select

from portal.accounts import identities, two_factor
from portal.accounts.models import User, UserIdentity, UserSession
from portal.audit import AuditEvent
from portal.catalog.models import Stack
from portal.cohorts import invitations
from portal.cohorts.models import Cohort, Invitation, Membership
from portal.extensions import db

SLUG = "test-district"


@pytest.fixture
def district(app, oidc_provider):
    """Turns on a provider named "Test District" for the app; returns a helper to sign in through it."""
    redirect_uri = f"{app.config['PORTAL_URL']}/sign-in/district/{SLUG}/callback"
    client_id, secret = oidc_provider.register_client([redirect_uri])

    class District:
        provider = oidc_provider

        def __init__(self):
            self.client_id, self.secret, self.redirect_uri = client_id, secret, redirect_uri
            self.configure()

        def configure(self, domains=""):
            app.config["OIDC_PROVIDERS"] = f"Test District|{oidc_provider.issuer}|{client_id}|{secret}|{domains}"

        def start(self, browser, next_url=""):
            response = browser.get(f"/sign-in/district/{SLUG}" + (f"?next={next_url}" if next_url else ""))
            assert response.status_code == 302
            return response.headers["Location"]

        def sign_in(self, browser, login, next_url=""):
            back = oidc_provider.sign_in(self.start(browser, next_url), login, redirect_uri)
            return browser.get(back.removeprefix(app.config["PORTAL_URL"]))

    return District()


def page_after(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def refusals() -> list[dict]:
    query = select(AuditEvent).where(AuditEvent.action == "account.district_refused").order_by(AuditEvent.id)
    return [event.detail for event in db.session.scalars(query)]


def test_sign_in_page_offers_the_configured_provider(client, district):
    assert "Sign in with Test District" in client.get("/sign-in").get_data(as_text=True)


def test_authorization_request_uses_state_nonce_and_pkce(client, district):
    query = parse_qs(urlsplit(district.start(client)).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [district.redirect_uri]
    assert query["scope"] == ["openid email profile"]


def test_first_sign_in_creates_a_confirmed_educator_account(client, district):
    response = district.sign_in(client, "new.teacher@district.example")
    assert response.headers["Location"] == "/my"
    user = db.session.scalar(select(User).where(User.email == "new.teacher@district.example"))
    assert user.roles == ["educator"] and user.name == "new teacher"
    assert not invitations.has_password(user)
    identity = db.session.scalar(select(UserIdentity))
    expected = (user.id, SLUG, "new.teacher@district.example")
    assert (identity.user_id, identity.provider, identity.subject) == expected
    assert db.session.scalar(select(UserSession.user_id)) == user.id
    assert client.get("/my").status_code == 200
    assert user.email_confirmed_at is not None


def test_second_sign_in_uses_the_link_not_the_email(app, client, district):
    district.sign_in(client, "repeat@district.example")
    user = db.session.scalar(select(User).where(User.email == "repeat@district.example"))
    user.email = "renamed@district.example"  # the person's address changed in the portal
    db.session.commit()
    again = district.sign_in(app.test_client(), "repeat@district.example")
    assert again.headers["Location"] == "/my"
    assert db.session.scalar(select(User.id).where(User.email == "repeat@district.example")) is None
    assert db.session.scalar(select(UserIdentity.last_used_at)) is not None


def test_invited_roster_member_is_linked_and_lands_in_the_cohort(client, district, make_user, stack):
    staff = make_user(roles=("staff",))
    member = User(email="invited@district.example", name="Ivy Invited", password_hash=invitations.unusable_password())
    cohort = Cohort(name="Spring Cohort", stack_id=db.session.scalar(select(Stack.id)))
    db.session.add_all([member, cohort])
    db.session.flush()
    db.session.add(Membership(cohort_id=cohort.id, user_id=member.id))
    invitations.invite(user=member, cohort=cohort, actor=staff)
    db.session.commit()

    response = district.sign_in(client, "invited@district.example")
    assert response.headers["Location"] == "/my/cohorts"
    assert "Spring Cohort" in client.get("/my/cohorts").get_data(as_text=True)
    assert db.session.scalar(select(UserIdentity.user_id)) == member.id
    assert db.session.scalar(select(Invitation.used_at).where(Invitation.user_id == member.id)) is not None
    assert db.session.scalar(select(UserSession.user_id)) == member.id


def test_account_with_unconfirmed_address_and_a_password_is_not_taken_over(client, district, make_user):
    owner = make_user(email="owner@district.example")
    owner.email_confirmed_at = None  # signed up, never followed the confirmation link
    db.session.commit()
    page = page_after(client, district.sign_in(client, "owner@district.example"))
    assert "already exists but its address is not confirmed yet" in page
    assert db.session.scalar(select(UserIdentity)) is None and db.session.scalar(select(UserSession)) is None
    assert owner.id == db.session.scalar(select(User.id).where(User.email == "owner@district.example"))


def test_unverified_email_is_refused(client, district):
    page = page_after(client, district.sign_in(client, "unverified.someone@district.example"))
    assert "did not confirm an e-mail address" in page
    assert db.session.scalar(select(User).where(User.email.like("%someone%"))) is None


def test_email_domain_not_allowed_is_refused(client, district):
    district.configure(domains="riverside.k12.example")
    page = page_after(client, district.sign_in(client, "visitor@gmail.example"))
    assert "is not one this portal accepts" in page and "riverside.k12.example" in page
    assert db.session.scalar(select(User).where(User.email == "visitor@gmail.example")) is None
    assert refusals()[-1]["reason"] == "domain"


def test_allowed_domain_signs_in(client, district):
    district.configure(domains="riverside.k12.example")
    assert district.sign_in(client, "teacher@riverside.k12.example").headers["Location"] == "/my"


def test_state_from_another_browser_is_refused(app, client, district):
    back = district.provider.sign_in(district.start(client), "victim@district.example", district.redirect_uri)
    attacker_browser = app.test_client()  # login CSRF: someone else's callback URL opened here
    response = attacker_browser.get(back.removeprefix(app.config["PORTAL_URL"]))
    assert "This sign-in was not started in this browser" in page_after(attacker_browser, response)
    assert db.session.scalar(select(UserSession)) is None
    assert refusals()[-1]["reason"] == "state"


def test_callback_cannot_be_used_twice(client, district):
    back = district.provider.sign_in(district.start(client), "twice@district.example", district.redirect_uri)
    path = back.removeprefix("http://127.0.0.1:5000")
    assert client.get(path).headers["Location"] == "/my"
    assert "was not started in this browser" in page_after(client, client.get(path))


def swap_token(monkeypatch, token: dict) -> None:
    """The portal's code exchange (a real request to the provider) returns `token` instead."""
    real = FlaskOAuth2App.fetch_access_token

    def fetch(self, *args, **kwargs):
        real(self, *args, **kwargs)  # the code and PKCE verifier are still checked by the provider
        return dict(token)

    monkeypatch.setattr(FlaskOAuth2App, "fetch_access_token", fetch)


def nonce_of(authorization_url: str) -> str:
    return parse_qs(urlsplit(authorization_url).query)["nonce"][0]


def sign_in_with_token(app, client, district, monkeypatch, make_token):
    start = district.start(client)
    swap_token(monkeypatch, make_token(nonce_of(start)))
    back = district.provider.sign_in(start, "someone@district.example", district.redirect_uri)
    return page_after(client, client.get(back.removeprefix(app.config["PORTAL_URL"])))


def test_swapped_token_with_the_right_nonce_is_accepted(app, client, district, monkeypatch):
    # The control for the refusals below: the swap itself does not break the sign-in.
    page = sign_in_with_token(app, client, district, monkeypatch, lambda nonce: district.provider.id_token(
        client_id=district.client_id, client_secret=district.secret, redirect_uri=district.redirect_uri, nonce=nonce,
        login="someone@district.example"))
    assert "Signed in as someone" in page


def test_wrong_nonce_is_refused(app, client, district, monkeypatch):
    page = sign_in_with_token(app, client, district, monkeypatch, lambda nonce: district.provider.id_token(
        client_id=district.client_id, client_secret=district.secret, redirect_uri=district.redirect_uri,
        nonce="not-" + nonce, login="someone@district.example"))
    assert "could not be verified, so you were not signed in" in page
    assert db.session.scalar(select(UserSession)) is None
    assert refusals()[-1]["reason"] == "id_token:invalid_claim"


def test_token_for_another_client_is_refused(app, client, district, monkeypatch):
    other_redirect = "http://127.0.0.1:5999/callback"
    other_id, other_secret = district.provider.register_client([other_redirect])
    page = sign_in_with_token(app, client, district, monkeypatch, lambda nonce: district.provider.id_token(
        client_id=other_id, client_secret=other_secret, redirect_uri=other_redirect, nonce=nonce,
        login="someone@district.example"))
    assert "could not be verified, so you were not signed in" in page
    assert db.session.scalar(select(UserSession)) is None
    assert refusals()[-1]["reason"].startswith("id_token:")


def test_expired_token_is_refused(app, client, district, monkeypatch):
    import joserfc._rfc7519.claims as jwt_claims

    def real_token(nonce):
        token = district.provider.id_token(client_id=district.client_id, client_secret=district.secret,
                                           redirect_uri=district.redirect_uri, nonce=nonce,
                                           login="someone@district.example")
        # Checked two hours later: the provider's ID tokens live one hour.
        monkeypatch.setattr(jwt_claims, "_generate_now", lambda: int(time.time()) + 7200)
        return token

    page = sign_in_with_token(app, client, district, monkeypatch, real_token)
    assert "could not be verified" in page
    assert refusals()[-1]["reason"] == "id_token:expired_token"


def test_altered_signature_is_refused(app, client, district, monkeypatch):
    def altered(nonce):
        token = district.provider.id_token(client_id=district.client_id, client_secret=district.secret,
                                           redirect_uri=district.redirect_uri, nonce=nonce,
                                           login="someone@district.example")
        header, payload, signature = token["id_token"].split(".")
        claims = base64.urlsafe_b64decode(payload + "==").replace(b"someone@", b"headmaster@")
        forged = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
        return {**token, "id_token": f"{header}.{forged}.{signature}"}

    assert "could not be verified" in sign_in_with_token(app, client, district, monkeypatch, altered)
    assert db.session.scalar(select(User).where(User.email.like("headmaster%"))) is None


def test_district_sign_in_is_only_the_first_step(client, district, make_user):
    district.sign_in(client, "careful@district.example")
    user = db.session.scalar(select(User).where(User.email == "careful@district.example"))
    app_ = two_factor.start_enrolment(user=user)
    import pyotp

    two_factor.confirm_enrolment(user=user, code=pyotp.TOTP(app_.secret).now())
    db.session.commit()
    client.post("/sign-out")
    response = district.sign_in(client, "careful@district.example")
    assert response.headers["Location"] == "/sign-in/two-step"
    assert db.session.scalar(select(UserSession)) is None


def test_last_way_to_sign_in_cannot_be_removed(client, district):
    district.sign_in(client, "only@district.example")
    identity = db.session.scalar(select(UserIdentity))
    page = client.get("/account/sign-in-methods").get_data(as_text=True)
    assert "This is your only way to sign in, so it cannot be removed." in page
    response = client.post(f"/account/sign-in-methods/{identity.id}/remove", follow_redirects=True)
    assert "This is your only way to sign in." in response.get_data(as_text=True)
    assert db.session.scalar(select(UserIdentity)) is not None


def test_linked_sign_in_can_be_removed_when_a_password_remains(client, district, make_user, login_as):
    user, stranger = make_user(), make_user()
    provider = identities.DistrictProvider(SLUG, "Test District", "https://idp.example", "id", "secret")
    mine, theirs = identities._link(user, provider, "sub-1", None), identities._link(stranger, provider, "sub-2", None)
    db.session.commit()
    login_as(user)
    page = client.get("/account/sign-in-methods").get_data(as_text=True)
    assert 'Remove<span class="visually-hidden"> Test District sign-in' in page
    assert client.post(f"/account/sign-in-methods/{theirs.id}/remove").status_code == 404
    assert client.post(f"/account/sign-in-methods/{mine.id}/remove").status_code == 302
    assert db.session.scalars(select(UserIdentity.id)).all() == [theirs.id]
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "account.identity_remove"
