"""District sign-in: who a verified ID token from a district's OpenID Provider signs in, and the linked
sign-in methods of an account.

The provider's `sub` identifies the person; the e-mail address is used once, at the first sign-in, to find an
existing account, and only when both sides have confirmed it (the provider says email_verified, and the
portal account's address was confirmed, or was entered by staff on a roster and has never had a password)."""

from sqlalchemy import func, select, update

from portal import audit
from portal.accounts import two_factor
from portal.accounts.models import User, UserIdentity
from portal.accounts.oidc import DistrictProvider
from portal.accounts.services import AccountError, find_user_by_email, normalize_email
from portal.audit import utcnow
from portal.cohorts.invitations import has_password, unusable_password
from portal.cohorts.models import Invitation
from portal.extensions import db


class DistrictSignInError(AccountError):
    """A district sign-in that must not go through; the message is shown on the sign-in page."""


def _verified_email(provider: DistrictProvider, claims: dict) -> str | None:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return None
    # Microsoft sends no email_verified; its optional claim xms_edov says the domain owner verified the address.
    verified = claims.get("email_verified") is True or (provider.slug == "microsoft" and claims.get("xms_edov") is True)
    return normalize_email(email) if verified else None


def has_confirmed_email(user: User) -> bool:
    """The portal account's address is known to belong to its owner: confirmed by link, or put on a roster by
    staff and never given a password (nobody but the addressee can have used it)."""
    return user.email_confirmed_at is not None or not has_password(user)


def sign_in_with_district(*, provider: DistrictProvider, claims: dict) -> tuple[User, bool]:
    """The account an ID token's verified claims sign in: the one linked to (provider, sub); at a first
    sign-in, the account with the same confirmed e-mail (linked now; an open roster invitation is used up), or a
    new educator account. Returns (user, joined) where joined says a roster invitation was taken up.
    Raises DistrictSignInError with a message for the person. Audited."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise DistrictSignInError(f"{provider.label} did not say who you are. Please try again.")
    email = _verified_email(provider, claims)
    raw_email = claims.get("email") if isinstance(claims.get("email"), str) else None
    if not provider.allows_email(email or raw_email):
        audit.record("account.district_refused", provider=provider.slug, reason="domain", email=(raw_email or "")[:254])
        domains = ", ".join(provider.allowed_domains)
        raise DistrictSignInError(
            f"The {provider.label} account {raw_email or ''} is not one this portal accepts. Sign in with your "
            f"district account (an address at {domains})."
        )
    identity = db.session.scalar(
        select(UserIdentity).where(UserIdentity.provider == provider.slug, UserIdentity.subject == subject)
    )
    if identity is not None:
        _refuse_inactive(identity.user, provider)
        identity.last_used_at = utcnow()
        audit.record("account.district_sign_in", actor=identity.user, subject=identity.user, provider=provider.slug)
        return identity.user, False
    return _first_sign_in(provider, subject, email, claims)


def _first_sign_in(provider: DistrictProvider, subject: str, email: str | None, claims: dict) -> tuple[User, bool]:
    if email is None:
        audit.record("account.district_refused", provider=provider.slug, reason="unverified_email")
        raise DistrictSignInError(
            f"{provider.label} did not confirm an e-mail address for this account, so it cannot be used to sign in "
            "here. Ask your district's IT office, or sign in with your password."
        )
    user = find_user_by_email(email)
    joined = False
    if user is None:
        user = _create_educator(provider, email, claims)
    elif not has_confirmed_email(user):
        audit.record("account.district_refused", actor=user, subject=user, provider=provider.slug, reason="unconfirmed")
        raise DistrictSignInError(
            f"An account with the address {email} already exists but its address is not confirmed yet. Sign in with "
            f"your password, then add {provider.label} on your sign-in methods page."
        )
    else:
        _refuse_inactive(user, provider)
        joined = _use_up_invitations(user)
    _link(user, provider, subject, email)
    audit.record("account.district_sign_in", actor=user, subject=user, provider=provider.slug, first=True)
    return user, joined


def _refuse_inactive(user: User, provider: DistrictProvider) -> None:
    if not user.is_active:  # deactivated by staff
        audit.record("account.district_refused", actor=user, subject=user, provider=provider.slug, reason="inactive")
        raise DistrictSignInError("This account has been deactivated. Ask your program staff if you need it again.")


def _create_educator(provider: DistrictProvider, email: str, claims: dict) -> User:
    name = claims.get("name") if isinstance(claims.get("name"), str) else ""
    name = " ".join(name.split())[:200] or email.split("@")[0]
    # The provider vouched for the address (email_verified), so it counts as confirmed.
    user = User(email=email, name=name, password_hash=unusable_password(), email_confirmed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", actor=user, subject=user, roles=["educator"], via=provider.slug)
    return user


def _use_up_invitations(user: User) -> bool:
    """A roster member signing in with their district account has no need of the set-a-password link."""
    used = db.session.execute(
        update(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None)).values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount:
        audit.record("invitation.accept", actor=user, subject=user, via="district sign-in")
    return bool(used.rowcount)


def _link(user: User, provider: DistrictProvider, subject: str, email: str | None) -> UserIdentity:
    identity = UserIdentity(user=user, provider=provider.slug, subject=subject, email=email, last_used_at=utcnow())
    db.session.add(identity)
    db.session.flush()
    return identity


def link_identity(*, user: User, provider: DistrictProvider, claims: dict) -> UserIdentity:
    """Add a district sign-in to the signed-in person's account (from their sign-in methods page). The district
    account may not already belong to someone else. Audited."""
    subject = claims.get("sub")
    raw_email = claims.get("email") if isinstance(claims.get("email"), str) else None
    if not isinstance(subject, str) or not subject:
        raise DistrictSignInError(f"{provider.label} did not say who you are. Please try again.")
    if not provider.allows_email(_verified_email(provider, claims) or raw_email):
        raise DistrictSignInError(f"The {provider.label} account {raw_email or ''} is not one this portal accepts.")
    existing = db.session.scalar(
        select(UserIdentity).where(UserIdentity.provider == provider.slug, UserIdentity.subject == subject)
    )
    if existing is not None:
        if existing.user_id == user.id:
            return existing
        raise DistrictSignInError(f"That {provider.label} account is already linked to another portal account.")
    identity = _link(user, provider, subject, raw_email)
    audit.record("account.identity_link", actor=user, subject=user, provider=provider.slug)
    return identity


def sign_in_summary(user: User) -> dict:
    """For the account and person pages: the linked district accounts and whether an authenticator app is on."""
    app = two_factor.confirmed_app(user)
    return {"identities": identities_of(user), "app_since": app.confirmed_at if app else None,
            "recovery_left": two_factor.remaining_recovery_codes(user) if app else 0}


def identities_of(user: User) -> list[UserIdentity]:
    return list(db.session.scalars(
        select(UserIdentity).where(UserIdentity.user_id == user.id).order_by(UserIdentity.created_at, UserIdentity.id)
    ))


def can_remove_identity(user: User) -> bool:
    """One way to sign in must remain: a password, or another linked district account."""
    count = db.session.scalar(select(func.count()).select_from(UserIdentity).where(UserIdentity.user_id == user.id))
    return has_password(user) or count > 1


def remove_identity(*, user: User, identity_id: int) -> UserIdentity:
    """Unlink one of the person's district sign-ins, never the last way in. Raises LookupError for an identity
    that is not theirs (the page answers 404), AccountError for the last one. Audited."""
    identity = db.session.get(UserIdentity, identity_id)
    if identity is None or identity.user_id != user.id:
        raise LookupError(identity_id)
    if not can_remove_identity(user):
        raise AccountError("This is your only way to sign in. Set a password or link another account first.")
    db.session.delete(identity)
    db.session.flush()
    audit.record("account.identity_remove", actor=user, subject=user, provider=identity.provider)
    return identity
