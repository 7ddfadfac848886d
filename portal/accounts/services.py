"""Accounts: creating people, checking passwords, and the server-side sessions behind sign-in."""

import functools
import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import Select, bindparam, delete, func, or_, select, update

from portal import audit, cache
from portal.accounts.models import AuthenticatorApp, Organization, User, UserSession
from portal.audit import utcnow
from portal.extensions import db
from portal.notifications.services import unread_count_column


class AccountError(ValueError):
    """A request that cannot be carried out; .field names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class AccountDeactivated(AccountError):
    """The password was right, but staff have deactivated the account."""


class SessionIdle(Exception):
    """The session was left unused for longer than SESSION_IDLE, so it has ended."""


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config["PASSWORD_HASH"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password_rules(password: str) -> None:
    """Length only: NIST 800-63B advises against composition rules."""
    low, high = current_app.config["PASSWORD_MIN_LENGTH"], current_app.config["PASSWORD_MAX_LENGTH"]
    if len(password) < low:
        raise AccountError(f"Use at least {low} characters.", "password")
    if len(password) > high:
        raise AccountError(f"Use at most {high} characters.", "password")


def normalize_email(email: str) -> str:
    """The one form an address is stored and looked up in (sign-up, sign-in, staff, rosters): Unicode NFC and
    lower case, so "José@x.org" typed with a combining accent or in capitals is the same account."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", email.strip()).lower())


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def get_or_create_organization(name: str) -> Organization | None:
    name = " ".join(name.split())
    if not name:
        return None
    org = db.session.scalar(select(Organization).where(func.lower(Organization.name) == name.lower()))
    if org is None:
        org = Organization(name=name)
        db.session.add(org)
    return org


REVIEWERS = "reviewers"  # the cache name of lists of reviewers by name (the staff submissions filter)


def reviewers_changed() -> None:
    """Someone became a reviewer (the role or a reviewer profile) or a reviewer was renamed: cached lists of
    reviewers are computed again once this transaction commits."""
    cache.changed(REVIEWERS)


ROLE_COLUMNS = {"educator": User.is_educator, "reviewer": User.is_reviewer, "staff": User.is_staff}


def people_query(*, text: str | None = "", role: str = "") -> Select:
    """Accounts whose name or email contains `text` (any case), with `role` when one is given; the caller
    orders and pages."""
    query = select(User)
    text = (text or "").strip().lower()
    if text:
        query = query.where(or_(
            func.lower(User.name).contains(text, autoescape=True),
            func.lower(User.email).contains(text, autoescape=True),
        ))
    if role in ROLE_COLUMNS:
        query = query.where(ROLE_COLUMNS[role])
    return query


def create_user(
    *, email: str, name: str, password: str, organization: str = "", roles=("educator",), actor=None,
    confirmed: bool = True,
) -> User:
    """Create an account. Roles is any combination of educator, reviewer and staff. Self sign-up passes
    confirmed=False: that account must confirm its address before it can submit."""
    email = normalize_email(email)
    if find_user_by_email(email):
        raise AccountError("An account with this email address already exists.", "email")
    check_password_rules(password)
    user = User(
        email=email,
        name=" ".join(name.split()),
        organization=get_or_create_organization(organization),
        password_hash=hash_password(password),
        is_educator="educator" in roles,
        is_reviewer="reviewer" in roles,
        is_staff="staff" in roles,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", actor=actor or user, subject=user, roles=list(roles))
    if user.is_reviewer:
        reviewers_changed()
    return user


@functools.cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    # Hashed once per process (not per request, which would cost a second hash): an unknown email is
    # checked against it, so it takes as long as a wrong password.
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash(secrets.token_urlsafe(16))


def verify_password(user: User | None, password: str) -> bool:
    """True when password is the user's. With no user (or no usable hash) one full verification is still
    done, against a dummy hash, so the answer takes the same time."""
    hasher = _hasher()
    stored = user.password_hash if user is not None and user.password_hash.startswith("$") else None
    try:
        hasher.verify(stored or _dummy_hash(**current_app.config["PASSWORD_HASH"]), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def authenticate(email: str, password: str) -> User | None:
    """The user whose email and password these are, or None. Records failures in the audit log.
    Raises AccountDeactivated when the password is right but the account is switched off."""
    user = find_user_by_email(email)
    if not verify_password(user, password):
        audit.record("account.sign_in_failed", actor=user, email=normalize_email(email)[:254])
        return None
    if not user.is_active:
        audit.record("account.sign_in_refused", actor=user, subject=user, reason="deactivated")
        raise AccountDeactivated("This account has been deactivated.")
    hasher = _hasher()
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    audit.record("account.sign_in", actor=user, subject=user)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Open a server-side session for user and return the token the browser keeps."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = now + current_app.config["SESSION_LIFETIME"]
    row = UserSession(token_hash=_token_hash(token), user=user, expires_at=expires_at, last_seen_at=now)
    db.session.add(row)
    user.session_token, user.session_seen_at = token, now
    user.last_sign_in_at = now
    return token


# One query for what every signed-in page needs: the session's last use, its user (with the organization, joined),
# the user's unread notices for the Notices badge and whether two-step sign-in is set up (staff pages check it on
# every request). Built once. The session row itself is read as a column, not as an ORM object: building that
# object cost every signed-in request more than the rest of the query.
_HAS_TWO_STEP = (
    select(AuthenticatorApp.id)
    .where(AuthenticatorApp.user_id == UserSession.user_id, AuthenticatorApp.confirmed_at.is_not(None))
    .exists()
)
_SESSION_QUERY = (
    select(User, UserSession.last_seen_at, unread_count_column(UserSession.user_id), _HAS_TWO_STEP)
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == bindparam("token_hash"), UserSession.expires_at > bindparam("now"))
)


def load_session_user(token: str) -> User | None:
    """The user of a live session token, or None when it was ended, has expired or the account is
    deactivated. Raises SessionIdle when the session was left unused too long (the caller ends it)."""
    now = utcnow()
    found = db.session.execute(_SESSION_QUERY, {"token_hash": _token_hash(token), "now": now}).first()
    if found is None or not found[0].is_active:
        return None
    user, last_seen_at, unread, has_two_step = found
    if last_seen_at + current_app.config["SESSION_IDLE"] <= now:
        raise SessionIdle
    user.session_token, user.session_seen_at, user.unread_notices = token, last_seen_at, unread
    user.had_two_step_at_load = bool(has_two_step)
    return user


def _touch_interval() -> timedelta:
    # Writing on every request would make every page view a write; once a minute is precise enough.
    return min(timedelta(minutes=1), current_app.config["SESSION_IDLE"] / 10)


def session_needs_touch(user: User, now: datetime | None = None) -> bool:
    return (now or utcnow()) - user.session_seen_at >= _touch_interval()


def touch_session(token: str, now: datetime | None = None) -> datetime:
    """Mark the session as used now; returns that time."""
    now = now or utcnow()
    db.session.execute(
        update(UserSession).where(UserSession.token_hash == _token_hash(token)).values(last_seen_at=now)
    )
    return now


def session_seconds_left(user: User, now: datetime | None = None) -> int:
    """Seconds until the signed-in user's session ends for lack of use."""
    left = user.session_seen_at + current_app.config["SESSION_IDLE"] - (now or utcnow())
    return max(round(left.total_seconds()), 0)


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))


def sign_out(*, user: User) -> None:
    """End this browser's session on the server."""
    end_session(user.session_token)
    audit.record("account.sign_out", actor=user, subject=user)


def end_all_sessions(user: User) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def change_password(*, user: User, current_password: str, new_password: str) -> str:
    """Replace the password, end every session of the user and return a fresh token for this browser."""
    check_current_password(user, current_password)
    check_password_rules(new_password)
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    audit.record("account.password_change", actor=user, subject=user)
    return start_session(user)


def check_current_password(user: User, password: str, field: str = "current_password") -> None:
    if not verify_password(user, password):
        audit.record("account.password_check_failed", actor=user, subject=user)
        raise AccountError("Your current password is not correct.", field)


def purge_expired_sessions(now: datetime | None = None) -> int:
    """Delete sessions past their lifetime or idle for longer than SESSION_IDLE."""
    now = now or utcnow()
    idle_since = now - current_app.config["SESSION_IDLE"]
    result = db.session.execute(
        delete(UserSession).where(or_(UserSession.expires_at <= now, UserSession.last_seen_at <= idle_since))
    )
    return result.rowcount or 0
