"""Invitations: accounts created from a roster have no password until their owner sets one through a
one-time link. Only the SHA-256 of the link's token is stored; the link works once and expires."""

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from sqlalchemy import select, update

from portal import audit
from portal.accounts import services as accounts
from portal.accounts.links import claim_once, token_hash
from portal.audit import utcnow
from portal.cohorts.models import Cohort, Invitation
from portal.extensions import db
from portal.links import public_url
from portal.notifications.services import queue_email

# An argon2 hash never starts with "!", so this can never verify: the account cannot sign in yet.
UNUSABLE_PASSWORD_PREFIX = "!"  # noqa: S105 -- a marker, not a password


class InvitationProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


class InvitationError(ValueError):
    def __init__(self, problem: InvitationProblem, invitation: Invitation | None = None):
        super().__init__(problem.value)
        self.problem = problem
        self.invitation = invitation


def unusable_password() -> str:
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16)


def has_password(user) -> bool:
    return not user.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)


def invitation_days() -> int:
    return int(current_app.config.get("INVITATION_DAYS", 7))


def invitation_url(token: str) -> str:
    return public_url("cohorts.accept_invitation", token=token)


def invite(*, user, cohort: Cohort, actor) -> Invitation:
    """Issue a new link to set a password (earlier unused links stop working) and queue the email."""
    now = utcnow()
    _void_open_invitations(user, now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        user=user, token_hash=token_hash(token), expires_at=now + timedelta(days=invitation_days()),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(invitation)
    db.session.flush()
    queue_email(to=user.email, subject=f"You are invited to {cohort.name}", body=_invitation_body(user, cohort, token,
                invitation.expires_at), kind="cohort.invitation", forget_body=True)
    audit.record("invitation.create", actor=actor, subject=user, cohort=cohort.id)
    return invitation


def _invitation_body(user, cohort: Cohort, token: str, expires_at: datetime) -> str:
    program = f" ({cohort.program})" if cohort.program else ""
    return (
        f"Hello {user.name},\n\n"
        f"You have been added to the cohort “{cohort.name}”{program} on the Micro-credential Portal.\n"
        f"Choose your password with this link. It works once and expires on {expires_at:%d %B %Y} (UTC):\n\n"
        f"{invitation_url(token)}\n\n"
        "If you did not expect this email, you can ignore it.\n"
    )


def _void_open_invitations(user, now: datetime) -> None:
    db.session.execute(
        update(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None)).values(used_at=now)
    )


def find_invitation(token: str) -> Invitation:
    """The invitation of a live token, or InvitationError saying why the link does not work."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None:
        raise InvitationError(InvitationProblem.UNKNOWN)
    if invitation.used_at is not None:
        raise InvitationError(InvitationProblem.USED, invitation)
    if invitation.expires_at <= utcnow():
        raise InvitationError(InvitationProblem.EXPIRED, invitation)
    return invitation


def accept_invitation(*, token: str, password: str):
    """Set the invited user's password and use up the link. Raises accounts.AccountError for a password the
    rules refuse, InvitationError when the link is unknown, used or expired. The link is claimed with a
    conditional UPDATE, so two requests racing with one link cannot both succeed. Returns the user."""
    invitation = find_invitation(token)
    accounts.check_password_rules(password)
    now = utcnow()
    if not claim_once(Invitation, invitation.id, now):
        raise InvitationError(InvitationProblem.USED, invitation)
    user = invitation.user
    user.password_hash = accounts.hash_password(password)
    user.email_confirmed_at = user.email_confirmed_at or now  # the invitation reached this address
    accounts.end_all_sessions(user)
    _void_open_invitations(user, now)
    audit.record("invitation.accept", actor=user, subject=user)
    return user
