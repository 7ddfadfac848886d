"""District sign-in pages (OpenID Connect) and the account's sign-in methods page."""

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.oauth2.base import OAuth2Error
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from joserfc.errors import JoseError

from portal import audit
from portal.accounts import identities, oidc, two_factor
from portal.accounts.identities import DistrictSignInError
from portal.accounts.services import AccountError
from portal.accounts.signin_forms import ActionForm
from portal.accounts.two_step_views import complete_first_step
from portal.cohorts.invitations import has_password
from portal.extensions import db
from portal.links import public_url
from portal.permissions import signed_in_user
from portal.security import is_safe_next

bp = Blueprint("district", __name__)

INTENT = "district_intent"


# For the sign-in page and the sign-in methods items of the account and person pages. Template globals, not a
# context processor: only the few pages that call them pay for them.
@bp.app_template_global()
def district_providers() -> list[oidc.DistrictProvider]:
    return oidc.configured_providers(current_app.config)


@bp.app_template_global()
def district_labels() -> dict[str, str]:
    return {p.slug: p.label for p in oidc.configured_providers(current_app.config)}


bp.add_app_template_global(identities.sign_in_summary, "sign_in_summary")


def _provider_or_404(slug: str) -> oidc.DistrictProvider:
    provider = oidc.find_provider(slug)
    if provider is None:
        abort(404)
    return provider


def _redirect_to_provider(provider: oidc.DistrictProvider, intent: str, next_url: str | None):
    session[INTENT] = {"slug": provider.slug, "intent": intent, "next": next_url if is_safe_next(next_url) else None}
    client = oidc.client_for(provider)
    # The redirect URI is registered with the provider, so it is built from PORTAL_URL, never the Host header.
    callback = public_url("district.callback", slug=provider.slug)
    try:
        return client.authorize_redirect(callback)
    except requests.RequestException:
        return _refused(provider, f"{provider.label} could not be reached. Please try again in a moment.", intent)


@bp.get("/sign-in/district/<slug>")
def start(slug: str):
    """Send the browser to the provider; Authlib keeps state, nonce and the PKCE verifier in the session."""
    return _redirect_to_provider(_provider_or_404(slug), "sign_in", request.args.get("next"))


@bp.post("/account/sign-in-methods/<slug>/link")
@login_required
def link(slug: str):
    provider = _provider_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _redirect_to_provider(provider, "link", None)


@bp.get("/sign-in/district/<slug>/callback")
def callback(slug: str):
    provider = _provider_or_404(slug)
    intent = session.pop(INTENT, None) or {}
    is_link = intent.get("intent") == "link" and current_user.is_authenticated
    try:
        claims = _verified_claims(provider)
        if is_link:
            identities.link_identity(user=signed_in_user(), provider=provider, claims=claims)
        else:
            user, joined = identities.sign_in_with_district(provider=provider, claims=claims)
    except DistrictSignInError as error:
        db.session.commit()  # keeps the audit entry of the refusal
        return _refused(provider, str(error), "link" if is_link else "sign_in")
    if is_link:
        db.session.commit()
        flash(f"You can now sign in with {provider.label}.", "success")
        return redirect(url_for("district.methods"))
    next_url = intent.get("next") or (url_for("cohorts.mine") if joined else None)
    response = complete_first_step(user, next_url=next_url, method=f"district:{provider.slug}")
    db.session.commit()
    return response


def _verified_claims(provider: oidc.DistrictProvider) -> dict:
    """The ID token's claims after Authlib has checked state, PKCE, signature, issuer, audience, expiry and
    nonce. Every failure becomes a DistrictSignInError with a message for the person (and an audit entry)."""
    client = oidc.client_for(provider)
    try:
        token = client.authorize_access_token(claims_options=oidc.id_token_claims_options(client, provider))
    except MismatchingStateError:
        return _fail(provider, "state", "This sign-in was not started in this browser, or it was already used. "
                     "Please start again.")
    except (OAuthError, OAuth2Error) as error:
        if getattr(error, "error", None) == "access_denied":
            return _fail(provider, "denied", f"Signing in with {provider.label} was cancelled.")
        message = f"{provider.label} did not complete the sign-in. Please try again."
        return _fail(provider, f"oauth:{getattr(error, 'error', '')}", message)
    except JoseError as error:
        return _fail(provider, f"id_token:{error.error}", f"The answer from {provider.label} could not be verified, "
                     "so you were not signed in. Please try again; if it keeps happening, tell your program staff.")
    except requests.RequestException:
        return _fail(provider, "network", f"{provider.label} could not be reached. Please try again in a moment.")
    claims = token.get("userinfo")
    if not claims:  # no ID token: an OAuth-only answer proves nothing about who signed in
        return _fail(provider, "no_id_token", f"{provider.label} did not say who you are. Please try again.")
    return dict(claims)


def _fail(provider: oidc.DistrictProvider, reason: str, message: str):
    audit.record("account.district_refused", provider=provider.slug, reason=reason[:80])
    raise DistrictSignInError(message)


def _refused(provider: oidc.DistrictProvider, message: str, intent: str):
    flash(message, "error")
    return redirect(url_for("district.methods" if intent == "link" else "accounts.sign_in"))


@bp.get("/account/sign-in-methods")
@login_required
def methods():
    user = signed_in_user()
    linked = identities.identities_of(user)
    linked_slugs = {identity.provider for identity in linked}
    providers = oidc.configured_providers(current_app.config)
    return render_template(
        "accounts/sign_in_methods.html", linked=linked, labels={p.slug: p.label for p in providers},
        can_remove=identities.can_remove_identity(user), has_password=has_password(user),
        to_link=[p for p in providers if p.slug not in linked_slugs], form=ActionForm(),
        two_step=two_factor.is_enrolled(user),
    )


@bp.post("/account/sign-in-methods/<int:identity_id>/remove")
@login_required
def remove(identity_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        identity = identities.remove_identity(user=signed_in_user(), identity_id=identity_id)
    except LookupError:
        abort(404)
    except AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("district.methods"))
    db.session.commit()
    label = {p.slug: p.label for p in oidc.configured_providers(current_app.config)}.get(identity.provider, "district")
    flash(f"Signing in with that {label} account is no longer possible.", "success")
    return redirect(url_for("district.methods"))
