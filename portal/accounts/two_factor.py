"""Two-step sign-in: an authenticator app (TOTP, RFC 6238) and single-use recovery codes.

A code is accepted for the current 30-second step or one step either side (clock drift), and only for a step
later than the last one accepted, so a code seen over someone's shoulder cannot be used again."""

import functools
import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, select, update

from portal import audit
from portal.accounts.models import AuthenticatorApp, RecoveryCode, User
from portal.accounts.services import end_all_sessions
from portal.audit import utcnow
from portal.extensions import db

ISSUER = "Micro-credential Portal"
RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt


def required_roles() -> frozenset[str]:
    return _parse_roles(current_app.config.get("TWO_FACTOR_REQUIRED_ROLES") or "")


@functools.lru_cache(maxsize=8)
def _parse_roles(raw: str) -> frozenset[str]:
    # Asked on every staff and review page: parse each setting once.
    return frozenset(role.strip().lower() for role in raw.split(",") if role.strip())


def confirmed_app(user: User) -> AuthenticatorApp | None:
    return db.session.scalar(
        select(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id, AuthenticatorApp.confirmed_at.is_not(None))
    )


def is_enrolled(user: User) -> bool:
    return confirmed_app(user) is not None


def is_required(user: User) -> bool:
    return bool(required_roles() & set(user.roles))


def must_enrol(user: User) -> bool:
    """True for a person whose role requires two-step sign-in and who has not set it up yet."""
    return is_required(user) and not is_enrolled(user)


def must_enrol_before_this_page(user: User) -> bool:
    """must_enrol for the page about to be served: reads whether two-step sign-in is set up from the session
    query (accounts.services.load_session_user) instead of asking the database again. Only for the start of a
    request: an app confirmed later in the same request is not seen."""
    if not is_required(user):
        return False
    known = user.had_two_step_at_load
    return not (known if known is not None else is_enrolled(user))


# --- setting up --------------------------------------------------------------------------------------------


def start_enrolment(*, user: User) -> AuthenticatorApp:
    """The app being set up: a new secret, unless one is already waiting to be confirmed (so reloading the
    page keeps the QR code the person has just scanned). Raises ValueError when an app is already confirmed."""
    app = db.session.scalar(select(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id))
    if app is not None and app.confirmed_at is not None:
        raise ValueError("An authenticator app is already set up.")
    if app is None:
        app = AuthenticatorApp(user_id=user.id, secret=pyotp.random_base32(32))
        db.session.add(app)
        db.session.flush()
    return app


def provisioning_uri(user: User, app: AuthenticatorApp) -> str:
    return pyotp.TOTP(app.secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI (the Content-Security-Policy allows data: images)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def grouped_secret(app: AuthenticatorApp) -> str:
    return " ".join(app.secret[i:i + 4] for i in range(0, len(app.secret), 4))


def enrol_with_known_secret(*, user: User, secret: str) -> list[str]:
    """Demo data only: an authenticator app with a secret printed on the console, so anyone trying the demo can
    add it to their app. Returns new recovery codes. Audited."""
    app = db.session.scalar(select(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id))
    if app is None:
        app = AuthenticatorApp(user_id=user.id, secret=secret)
        db.session.add(app)
    app.secret, app.confirmed_at, app.last_used_step = secret, app.confirmed_at or utcnow(), None
    audit.record("two_factor.enrol", actor=user, subject=user, demo=True)
    return replace_recovery_codes(user=user)


def confirm_enrolment(*, user: User, code: str) -> list[str] | None:
    """Finish setting up when `code` comes from the new app: returns ten new recovery codes (shown once, only
    their hashes kept), or None for a wrong code. Audited either way."""
    app = db.session.scalar(
        select(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id, AuthenticatorApp.confirmed_at.is_(None))
    )
    if app is None or not _accept_totp(app, code):
        audit.record("two_factor.enrol_failed", actor=user, subject=user)
        return None
    app.confirmed_at = utcnow()
    audit.record("two_factor.enrol", actor=user, subject=user)
    return replace_recovery_codes(user=user)


def replace_recovery_codes(*, user: User) -> list[str]:
    """Ten fresh recovery codes; every earlier one stops working."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(code)) for code in codes)
    db.session.flush()
    audit.record("two_factor.recovery_codes", actor=user, subject=user)
    return codes


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalize(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


# --- signing in --------------------------------------------------------------------------------------------


def verify_second_step(*, user: User, code: str) -> str | None:
    """Check a code from the authenticator app or a recovery code. Returns "app" or "recovery_code" for an
    accepted one (a recovery code is used up), None otherwise. Every attempt is audited."""
    app = confirmed_app(user)
    cleaned = _normalize(code or "")
    if app is not None and cleaned.isdigit() and _accept_totp(app, cleaned):
        audit.record("two_factor.verify", actor=user, subject=user, method="app")
        return "app"
    if len(cleaned) == 12 and _use_recovery_code(user, cleaned):
        left = remaining_recovery_codes(user)
        audit.record("two_factor.verify", actor=user, subject=user, method="recovery_code", left=left)
        return "recovery_code"
    audit.record("two_factor.verify_failed", actor=user, subject=user)
    return None


def _accept_totp(app: AuthenticatorApp, code: str, now: float | None = None) -> bool:
    code = _normalize(code)
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(app.secret)
    current = int((now if now is not None else time.time()) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code) and _claim_step(app, step):
            return True
    return False


def _claim_step(app: AuthenticatorApp, step: int) -> bool:
    """Record `step` as used, only if it is later than the last used one. A conditional UPDATE, so two requests
    racing with one code cannot both pass."""
    claimed = db.session.execute(
        update(AuthenticatorApp)
        .where(AuthenticatorApp.id == app.id)
        .where((AuthenticatorApp.last_used_step.is_(None)) | (AuthenticatorApp.last_used_step < step))
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    app.last_used_step = step
    return True


def _use_recovery_code(user: User, cleaned: str) -> bool:
    code = f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}"
    used = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _code_hash(code))
        .where(RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return used.rowcount == 1


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all())


# --- losing the device -------------------------------------------------------------------------------------


def reset(*, user: User, actor: User) -> bool:
    """Staff remove a person's authenticator app and recovery codes (they lost the device) and end their
    sessions; at the next sign-in they set up a new app (if their role requires one). Audited. Returns False
    when there was nothing to reset."""
    had_app = db.session.execute(delete(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id)).rowcount
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_all_sessions(user)
    audit.record("two_factor.reset", actor=actor, subject=user, had_app=bool(had_app))
    return bool(had_app)
