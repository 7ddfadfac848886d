"""Accounts: creating people, checking passwords, and the server-side sessions behind sign-in."""

import hashlib
import secrets
import unicodedata
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import Select, delete, func, or_, select

from portal import audit
from portal.accounts.models import Organization, User, UserSession
from portal.audit import utcnow
from portal.extensions import db


class AccountError(ValueError):
    """A request that cannot be carried out; .field names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


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
    *, email: str, name: str, password: str, organization: str = "", roles=("educator",), actor=None
) -> User:
    """Create an account. Roles is any combination of educator, reviewer and staff."""
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
    )
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", actor=actor or user, subject=user, roles=list(roles))
    return user


# Compared against when the email is unknown, so a wrong email costs as much time as a wrong password.
_DUMMY_HASH: dict[str, str] = {}


def authenticate(email: str, password: str) -> User | None:
    """The user whose email and password these are, or None. Records failures in the audit log."""
    user = find_user_by_email(email)
    hasher = _hasher()
    try:
        if user is None:
            key = repr(current_app.config["PASSWORD_HASH"])
            hasher.verify(_DUMMY_HASH.setdefault(key, hasher.hash("not-a-password")), password + "x")
        else:
            hasher.verify(user.password_hash, password)
            if hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hasher.hash(password)
            audit.record("account.sign_in", actor=user, subject=user)
            return user
    except (VerificationError, InvalidHashError):
        pass
    audit.record("account.sign_in_failed", actor=user, email=normalize_email(email)[:254])
    return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Open a server-side session for user and return the token the browser keeps."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + current_app.config["SESSION_LIFETIME"]
    db.session.add(UserSession(token_hash=_token_hash(token), user=user, expires_at=expires_at))
    user.session_token = token
    return token


def load_session_user(token: str) -> User | None:
    """The user of a live session token, or None when it was ended or has expired."""
    row = db.session.scalar(
        select(UserSession).where(UserSession.token_hash == _token_hash(token), UserSession.expires_at > utcnow())
    )
    if row is None:
        return None
    row.user.session_token = token
    return row.user


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))


def end_all_sessions(user: User) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def change_password(*, user: User, current_password: str, new_password: str) -> str:
    """Replace the password, end every session of the user and return a fresh token for this browser."""
    try:
        _hasher().verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise AccountError("Your current password is not correct.", "current_password") from None
    check_password_rules(new_password)
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    audit.record("account.password_change", actor=user, subject=user)
    return start_session(user)


def set_roles(*, user: User, roles, actor: User) -> None:
    user.is_educator, user.is_reviewer, user.is_staff = ("educator" in roles, "reviewer" in roles, "staff" in roles)
    audit.record("account.roles", actor=actor, subject=user, roles=list(roles))


def purge_expired_sessions(now: datetime | None = None) -> int:
    result = db.session.execute(delete(UserSession).where(UserSession.expires_at <= (now or utcnow())))
    return result.rowcount or 0
