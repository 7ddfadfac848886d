"""People, their organizations and their signed-in sessions."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false, true
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

    organization: Mapped[Organization | None] = relationship(lazy="joined")

    # Set when the user is loaded through a session, so Flask-Login stores the session token, not the user id.
    session_token = None

    def get_id(self) -> str | None:
        return self.session_token

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

    user: Mapped[User] = relationship(lazy="joined")
