"""Mailed one-time links: resetting a forgotten password, and confirming an email address (a new account's,
or the new address of an account that changes it).

Only the SHA-256 of a link's random token is stored. A link works once, until it expires, and only until a
newer link of its kind is sent to the same account. Every link is built from PORTAL_URL (portal.links),
never from the request's Host header.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from portal import audit
from portal.accounts.models import AccountToken, TokenPurpose, User
from portal.accounts.services import (
    AccountError,
    check_current_password,
    check_password_rules,
    create_user,
    end_all_sessions,
    find_user_by_email,
    hash_password,
    normalize_email,
)
from portal.audit import utcnow
from portal.extensions import db
from portal.links import public_url
from portal.notifications.services import queue_email

ENDPOINTS = {
    TokenPurpose.PASSWORD_RESET: "account_links.reset_link", TokenPurpose.CONFIRM_EMAIL: "account_links.confirm_link",
}


class LinkError(ValueError):
    """The link is unknown, used, replaced by a newer one, expired, or its account is deactivated."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(purpose: str) -> timedelta:
    if purpose == TokenPurpose.PASSWORD_RESET:
        return timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"])
    return timedelta(hours=current_app.config["EMAIL_CONFIRMATION_HOURS"])


def _void_open_links(user: User, purpose: str, now: datetime) -> None:
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def void_all_links(user: User) -> None:
    for purpose in ENDPOINTS:
        _void_open_links(user, purpose, utcnow())


def _issue(user: User, purpose: str, email: str) -> tuple[str, AccountToken]:
    """A new link of this purpose for user (older open ones stop working). Returns (URL, row)."""
    now = utcnow()
    _void_open_links(user, purpose, now)
    token = secrets.token_urlsafe(32)
    row = AccountToken(
        token_hash=token_hash(token), user=user, purpose=purpose, email=email, created_at=now,
        expires_at=now + _lifetime(purpose),
    )
    db.session.add(row)
    db.session.flush()
    return public_url(ENDPOINTS[purpose], token=token), row


def find_link(token: str, purpose: str) -> AccountToken:
    """The open link of this token, or LinkError."""
    row = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == token_hash(token), AccountToken.purpose == purpose)
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or not row.user.is_active:
        raise LinkError("This link no longer works.")
    return row


def claim_once(model, row_id: int, now: datetime) -> bool:
    """Use up a one-time link row (an account link or a roster invitation): a conditional UPDATE, so two
    requests racing with one link cannot both succeed. False when it was used or has expired."""
    claimed = db.session.execute(
        update(model)
        .where(model.id == row_id, model.used_at.is_(None), model.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def _claim(row: AccountToken) -> datetime:
    now = utcnow()
    if not claim_once(AccountToken, row.id, now):
        raise LinkError("This link no longer works.")
    return now


# ---------- Password reset ----------


def _program_contact() -> str:
    return current_app.config["SUPPORT_CONTACT"] or "your program staff"


def request_password_reset(*, email: str) -> None:
    """Answer "Forgot your password?" for email without telling the asker whether it has an account.

    An active account gets a reset link by mail. An unknown or deactivated address gets a mail that says no
    link could be sent. Either way one message is queued and one audit entry written, so the request does
    the same work and takes the same time."""
    address = normalize_email(email)
    user = find_user_by_email(address)
    if user is not None and user.is_active:
        url, row = _issue(user, TokenPurpose.PASSWORD_RESET, user.email)
        queue_email(to=user.email, subject="Reset your password", body=_reset_body(user, url, row.expires_at),
                    kind="account.password_reset", forget_body=True)
        audit.record("account.reset_requested", subject=user, link_sent=True)
        return
    queue_email(to=address, subject="Reset your password", body=_no_reset_body(address, user),
                kind="account.password_reset", forget_body=True)
    audit.record("account.reset_requested", subject=user, email=address, link_sent=False)


def send_reset_by_staff(*, staff: User, user: User) -> None:
    """Staff send a person a reset link (the person chooses the new password; staff never see it)."""
    if not user.is_active:
        raise AccountError("This account is deactivated. Reactivate it first.")
    url, row = _issue(user, TokenPurpose.PASSWORD_RESET, user.email)
    queue_email(to=user.email, subject="Reset your password", body=_reset_body(user, url, row.expires_at),
                kind="account.password_reset", forget_body=True)
    audit.record("account.reset_sent", actor=staff, subject=user)


def _reset_body(user: User, url: str, expires_at: datetime) -> str:
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    return (
        f"Hello {user.name},\n\n"
        "Someone (we hope you) asked to reset the password of your Micro-credential Portal account.\n"
        f"Choose a new password with this link. It works once, for {minutes} minutes "
        f"(until {expires_at:%H:%M} UTC):\n\n{url}\n\n"
        "If you did not ask, ignore this email: your password stays as it is.\n"
    )


def _no_reset_body(address: str, user: User | None) -> str:
    reason = (
        "The account with this address has been deactivated"
        if user is not None else "There is no account with this address"
    )
    return (
        "Hello,\n\n"
        f"Someone asked to reset the password of a Micro-credential Portal account for {address}.\n"
        f"{reason}, so no reset link was sent. If it was you, you may have signed up with another address; "
        f"for help, contact {_program_contact()}.\n\n"
        "If you did not ask, ignore this email.\n"
    )


def reset_password(*, token: str, password: str) -> User:
    """Set a new password through a reset link: the link is used up, every session of the account ends
    (the caller signs this browser in), and the address counts as confirmed (the mail reached it)."""
    row = find_link(token, TokenPurpose.PASSWORD_RESET)
    check_password_rules(password)
    now = _claim(row)
    user = row.user
    user.password_hash = hash_password(password)
    if row.email == user.email and user.email_confirmed_at is None:
        user.email_confirmed_at = now
    end_all_sessions(user)
    audit.record("account.password_reset", actor=user, subject=user)
    return user


# ---------- Confirming an address ----------


def sign_up(*, email: str, name: str, password: str, organization: str) -> User | None:
    """Self sign-up. A new address gets an unconfirmed educator account and a confirmation link. An address
    that already has an account gets a mail to its owner instead, and nothing changes: the asker sees the same
    page either way, and the password is hashed either way so both take the same time. Returns the new user,
    or None."""
    check_password_rules(password)
    existing = find_user_by_email(email)
    if existing is None:
        user = create_user(email=email, name=name, password=password, organization=organization, confirmed=False)
        send_confirmation(user=user)
        return user
    hash_password(password)  # the work create_user would have done
    queue_email(
        to=existing.email, subject="Someone tried to sign up with your address", kind="account.sign_up_existing",
        body=("Hello,\n\nSomeone tried to create a Micro-credential Portal account with this address, which "
              "already has an account. Nothing was changed. If it was you, sign in, or choose a new password "
              f"with \"Forgot your password?\" on the sign-in page:\n\n"
              f"{public_url('account_links.forgot_password')}\n"),
    )
    audit.record("account.sign_up_existing", subject=existing)
    return None



def send_confirmation(*, user: User) -> None:
    """Mail a link that confirms the account's current address (after sign-up, or "resend the link")."""
    url, row = _issue(user, TokenPurpose.CONFIRM_EMAIL, user.email)
    hours = current_app.config["EMAIL_CONFIRMATION_HOURS"]
    queue_email(
        to=user.email, subject="Confirm your email address", kind="account.confirm_email", forget_body=True,
        body=(f"Hello {user.name},\n\nPlease confirm that this is your address with this link "
              f"(it works once, for {hours} hours):\n\n{url}\n\n"
              "You can draft your work meanwhile; submitting it needs a confirmed address.\n"
              "If you did not create an account on the Micro-credential Portal, ignore this email.\n"),
    )
    audit.record("account.confirmation_sent", actor=user, subject=user)


def request_email_change(*, user: User, password: str, new_email: str) -> None:
    """Start changing the account's address: the current password is checked, a confirmation link goes to
    the new address (the change takes effect when it is followed) and the current address is told.
    When the new address already has an account, its owner is told instead; the asker is not."""
    check_current_password(user, password, "password")
    address = normalize_email(new_email)
    if address == user.email:
        raise AccountError("This is already your email address.", "email")
    other = find_user_by_email(address)
    if other is None:
        url, _row = _issue(user, TokenPurpose.CONFIRM_EMAIL, address)
        body = (f"Hello {user.name},\n\nConfirm that you want to use this address for your Micro-credential "
                f"Portal account with this link:\n\n{url}\n\nIf you did not ask for this, ignore this email.\n")
    else:
        body = ("Hello,\n\nSomeone asked to move a Micro-credential Portal account to this address, which "
                "already belongs to your account. Nothing was changed. If it was you, sign in with this address "
                "instead, or reset your password from the sign-in page.\n")
    queue_email(to=address, subject="Confirm your new email address", body=body, kind="account.confirm_email",
                forget_body=True)
    queue_email(
        to=user.email, subject="Your email address is being changed", kind="account.email_change_notice",
        body=(f"Hello {user.name},\n\nSomeone signed in to your Micro-credential Portal account asked to change "
              f"its email address to {address}. The change happens only when the link sent there is followed.\n"
              f"If this was not you, change your password and contact {_program_contact()}.\n\n"
              f"Your account:\n{public_url('accounts.account')}\n"),
    )
    audit.record("account.email_change_requested", actor=user, subject=user, new_email=address)


def confirm_email(*, token: str) -> User:
    """Follow a confirmation link: the address is confirmed, and becomes the account's address when it was
    a change. Raises LinkError when the link does not work or another account took the address since."""
    row = find_link(token, TokenPurpose.CONFIRM_EMAIL)
    user = row.user
    if row.email != user.email and find_user_by_email(row.email) is not None:
        raise LinkError("Another account now uses this address.")
    now = _claim(row)
    if row.email != user.email:
        audit.record("account.email_change", actor=user, subject=user, old_email=user.email, new_email=row.email)
        user.email = row.email
    user.email_confirmed_at = now
    audit.record("account.email_confirmed", actor=user, subject=user)
    return user
