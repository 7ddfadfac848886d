"""The mail outbox and the in-page notices."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.audit import utcnow
from portal.extensions import db
from portal.security import is_safe_next


def _same_as_created_at(context) -> datetime:
    # A new message is due at once; reading created_at keeps the two equal to the microsecond.
    return context.get_current_parameters()["created_at"]


class OutboxMessage(db.Model):
    """An email waiting to be sent, or sent. Pending means sent_at is NULL; the worker sends it once
    next_attempt_at has passed."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Declared after created_at: column defaults run in table order, so created_at is already set.
    next_attempt_at: Mapped[datetime] = mapped_column(default=_same_as_created_at, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    # The body holds a one-time link (an invitation): once delivered, nobody needs it and nobody should read it.
    forget_body: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def is_pending(self) -> bool:
        return self.sent_at is None


class Notice(db.Model):
    """A line on the user's notices page. Unread means read_at is NULL."""

    __tablename__ = "notices"
    # Serves both "this user's notices" and "this user's unread count" (the COUNT on every page).
    __table_args__ = (Index("ix_notices_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # Set when the work the notice is about went elsewhere (reassigned, withdrawn ...): why it no longer applies.
    withdrawn_note: Mapped[str] = mapped_column(String(200), default="", server_default="")

    @property
    def is_current(self) -> bool:
        return not self.withdrawn_note

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def href(self) -> str:
        """The link when it is a path on this site, else "": a notice can never send anyone elsewhere."""
        return self.link if is_safe_next(self.link) else ""
