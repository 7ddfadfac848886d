"""People, their organizations, their signed-in sessions and their other ways to sign in."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.audit import utcnow
from portal.extensions import db


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_educator: Mapped[bool] = mapped_column(default=True, server_default=true())
    is_reviewer: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    is_staff: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None until the owner proves the address through a mailed link (a confirmation, a reset or an invitation).
    # Accounts made by staff or the command line are confirmed when made.
    email_confirmed_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]  # set by staff: no sign-in, no session, no review work

    organization: Mapped[Organization | None] = relationship(lazy="joined")

    # Set when the user is loaded through a session, so Flask-Login stores the session token, not the user id.
    session_token = None
    session_seen_at = None  # when that session was last used (see accounts.services.load_session_user)
    unread_notices = None  # the unread notices when that session was loaded (for the Notices badge)
    had_two_step_at_load = None  # whether two-step sign-in was set up when that session was loaded

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def is_active(self) -> bool:
        # Flask-Login refuses to sign in an inactive user.
        return self.deactivated_at is None

    @property
    def is_email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def roles(self) -> list[str]:
        flags = {"educator": self.is_educator, "reviewer": self.is_reviewer, "staff": self.is_staff}
        return [role for role, held in flags.items() if held]


class UserSession(db.Model):
    """A signed-in browser. Deleting the row signs that browser out, whatever its cookie says."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Moved forward at most once a minute by the requests of this browser; a session idle for longer than
    # SESSION_IDLE ends.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())

    user: Mapped[User] = relationship(lazy="joined")


class TokenPurpose:
    PASSWORD_RESET = "password_reset"  # noqa: S105 -- a name, not a password
    CONFIRM_EMAIL = "confirm_email"


class AccountToken(db.Model):
    """A mailed one-time link: a password reset or the confirmation of an address. Only the SHA-256 of the
    link's random token is stored. A link works once, until it expires or a newer link of its kind is sent."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(254))  # the address the link was sent to (a new one for a change)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]  # also set when a newer link replaces this one

    user: Mapped[User] = relationship(lazy="joined")


class UserIdentity(db.Model):
    """An account at a district's OpenID Provider (Google, Microsoft, Clever ...) linked to a portal account."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_user_identities_provider_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    # The provider's `sub`: stable for the person, unlike the e-mail address.
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))  # as the provider gave it when linked
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class AuthenticatorApp(db.Model):
    """The TOTP secret of a person's authenticator app (RFC 6238). Until confirmed_at is set it is being set up
    and does not count as a second factor."""

    __tablename__ = "authenticator_apps"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # The 30-second time step of the last accepted code: a code of that step or earlier is never taken again.
    last_used_step: Mapped[int | None]


class RecoveryCode(db.Model):
    """One single-use code for a lost device. Only its SHA-256 is kept (the code is random, 60 bits)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
