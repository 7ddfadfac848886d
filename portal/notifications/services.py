"""Notifications: queue mail in the caller's transaction, send it after the commit, keep in-page notices.

Queueing only adds rows, so a message exists exactly when the change that caused it was committed.
`send_pending` is the only code that talks to a mail server, and it runs in a worker, never in a request.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from portal.audit import utcnow
from portal.extensions import db
from portal.links import public_link
from portal.notifications.models import Notice, OutboxMessage
from portal.security import is_safe_next

log = logging.getLogger(__name__)

NOTICES_PER_PAGE = 30
MAX_BACKOFF = timedelta(hours=6)
ERROR_TEXT_LIMIT = 2000
NOTICE_TEXT_LIMIT = 300
SUBJECT_LIMIT = 200
FORGOTTEN_BODY = "(Removed once sent: it held a one-time link.)"
_CHANGED = "notices_changed"  # db.session.info key: ids of users whose notices this unit of work changed


# ---------- Outbox ----------


def queue_email(*, to: str, subject: str, body: str, kind: str, forget_body: bool = False) -> OutboxMessage:
    """Add a message to the outbox and flush. It is sent only if the caller commits.

    The subject is folded onto one line (a line break in a header would let text become headers)
    and cut to the column's 200 characters. An address with whitespace or without "@" is refused.
    With forget_body (a body holding a one-time link), the body is replaced once the message is sent.
    """
    if not to or "@" not in to or any(ch.isspace() for ch in to):
        raise ValueError(f"Not an email address: {to!r}")
    message = OutboxMessage(
        to_address=to, subject=" ".join(subject.split())[:SUBJECT_LIMIT], body=body, kind=kind,
        forget_body=forget_body,
    )
    db.session.add(message)
    db.session.flush()
    return message


def backoff(attempts: int) -> timedelta:
    """The wait after the attempts-th failure: 1, 2, 4, 8 ... minutes, never more than 6 hours."""
    exponent = min(max(attempts, 1) - 1, 20)  # 2**20 minutes is far past the cap; stop the numbers growing
    return min(timedelta(minutes=2**exponent), MAX_BACKOFF)


def send_pending(*, sender, now: datetime | None = None, batch: int = 100) -> tuple[int, int]:
    """Send up to `batch` due messages (next_attempt_at <= now, longest due first) with sender.send(message).

    Returns (sent, failed). A sent message gets sent_at = now. A failure increments attempts, keeps the
    error text and moves next_attempt_at to now + backoff(attempts), so it is not retried in this pass.
    Commits after every message: a crash mid-batch loses no bookkeeping, and only the message in flight
    (accepted by the server, not yet committed) can ever be sent twice.
    """
    now = now or utcnow()
    sent = failed = 0
    for _ in range(batch):
        message = _claim_next_due(now)
        if message is None:
            break
        if _deliver(sender, message, now):
            sent += 1
        else:
            failed += 1
        db.session.commit()
    return sent, failed


def _claim_next_due(now: datetime) -> OutboxMessage | None:
    # One row per transaction: the row lock (PostgreSQL) is held while that message is sent and released
    # by the commit that records it. Locking a whole batch would free every row at the first commit,
    # and a second worker could then send the rest again. SKIP LOCKED lets workers pass each other.
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query)


def _deliver(sender, message: OutboxMessage, now: datetime) -> bool:
    try:
        sender.send(message)
    except Exception as error:  # any failure of any sender: keep the message and try again later
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:ERROR_TEXT_LIMIT]
        message.next_attempt_at = now + backoff(message.attempts)
        log.warning("Outbox message %s to %s failed (attempt %s): %s",
                    message.id, message.to_address, message.attempts, message.last_error)
        return False
    message.sent_at = now
    if message.forget_body:
        message.body = FORGOTTEN_BODY
    return True


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    failing_count: int
    failing: list[OutboxMessage]  # the most retried, at most failing_limit of them
    sent_last_day: int


def outbox_status(*, now: datetime | None = None, failing_limit: int = 20) -> OutboxStatus:
    """What an operator asks: how many wait, which keep failing (most attempts first), how many went out in 24h."""
    now = now or utcnow()
    is_failing = (OutboxMessage.sent_at.is_(None), OutboxMessage.attempts > 0)
    failing = db.session.scalars(
        select(OutboxMessage).where(*is_failing)
        .order_by(OutboxMessage.attempts.desc(), OutboxMessage.id).limit(failing_limit)
    ).all()
    return OutboxStatus(
        pending=db.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))),
        failing_count=db.session.scalar(select(func.count()).where(*is_failing)),
        failing=list(failing),
        sent_last_day=db.session.scalar(
            select(func.count()).where(OutboxMessage.sent_at >= now - timedelta(days=1))
        ),
    )


# ---------- Notices ----------


def notify(
    *, user, text: str, link: str = "", email_subject: str | None = None, email_body: str | None = None,
    kind: str = "notice", new_link: bool = False,
) -> Notice:
    """Add an in-page notice for user and flush; with email_subject, also queue an email to user.email
    (body: email_body, or the notice text, then the page's absolute address built from PORTAL_URL).
    Both are kept only if the caller commits.

    link must be a path to a page on this site ("/submissions/3"), or "": anything else raises ValueError.
    Text longer than the column is cut with an ellipsis. new_link: the link names something made in this
    transaction (a new assignment, a decision), so no unread notice can say the same and none is looked for.
    """
    if link and not is_safe_next(link):
        raise ValueError(f"A notice links only to a path on this site, not {link!r}")
    text = _shorten(" ".join(text.split()), NOTICE_TEXT_LIMIT)
    _notices_changed(user.id)
    same = None if new_link else _unread_duplicate(user.id, text, link)
    if same is not None:
        # The person has not read the same news yet: bring it to the top instead of saying it twice.
        same.created_at = utcnow()
        db.session.flush()
        return same
    notice = Notice(user_id=user.id, text=text, link=link)
    db.session.add(notice)
    if email_subject is not None:
        body = email_body or text
        if link:
            body = f"{body}\n\nOpen it in the portal:\n{public_link(link)}\n"
        queue_email(to=user.email, subject=email_subject, body=body, kind=kind)
    db.session.flush()
    return notice


def _unread_duplicate(user_id: int, text: str, link: str) -> Notice | None:
    query = select(Notice).where(
        Notice.user_id == user_id, Notice.read_at.is_(None), Notice.text == text, Notice.link == link,
        Notice.withdrawn_note == "",
    )
    return db.session.scalars(query.limit(1)).first()


def withdraw_notices(*, user_id: int, link: str, note: str) -> int:
    """Mark the user's notices pointing at `link` as no longer current, with the reason (shown beside them), and
    read: the work they announced went elsewhere. Returns how many changed."""
    _notices_changed(user_id)
    result = db.session.execute(
        update(Notice)
        .where(Notice.user_id == user_id, Notice.link == link, Notice.withdrawn_note == "")
        .values(withdrawn_note=_shorten(note, 200), read_at=func.coalesce(Notice.read_at, utcnow()))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count()).where(Notice.user_id == user.id, Notice.read_at.is_(None))
    )


def unread_count_column(user_id):
    """The unread count as a column of another query: the session query reads it with the user it loads."""
    return select(func.count()).where(Notice.user_id == user_id, Notice.read_at.is_(None)).scalar_subquery()


def unread_count_for_page(user) -> int:
    """The count for the page's Notices badge: the one read with the session (user.unread_notices), unless this
    unit of work changed the user's notices since, or the user was not loaded through a session."""
    known = getattr(user, "unread_notices", None)
    if known is not None and user.id not in db.session.info.get(_CHANGED, ()):
        return known
    return unread_count(user)


def _notices_changed(user_id: int) -> None:
    # Per database session, so per request: a later page of the same request counts again.
    db.session.info.setdefault(_CHANGED, set()).add(user_id)


def list_notices(user, page: int):
    """A Pagination of the user's notices, newest first, 30 a page (a page past the end is empty)."""
    query = select(Notice).where(Notice.user_id == user.id).order_by(Notice.created_at.desc(), Notice.id.desc())
    return db.paginate(query, page=page, per_page=NOTICES_PER_PAGE, error_out=False)


def mark_all_read(*, user) -> int:
    """Mark every unread notice of user as read now; returns how many changed."""
    _notices_changed(user.id)
    result = db.session.execute(
        update(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None)).values(read_at=utcnow())
    )
    return result.rowcount


def mark_read(*, user, notice: Notice) -> None:
    """Mark one of the user's own notices as read (again is a no-op). Another user's notice raises PermissionError."""
    if notice.user_id != user.id:
        raise PermissionError("A notice can be marked read only by the user it was written for.")
    if notice.read_at is None:
        _notices_changed(user.id)
        notice.read_at = utcnow()
        db.session.flush()
