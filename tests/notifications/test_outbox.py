"""The outbox: queued in the caller's transaction, sent after the commit, retried with backoff."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from portal.audit import utcnow
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.notifications.services import backoff, queue_email, send_pending


class RecordingSender:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append((message.id, message.to_address, message.subject))


class FailingSender:
    def __init__(self, error=None):
        self.error = error or ConnectionRefusedError(111, "Connection refused")
        self.calls = 0

    def send(self, message):
        self.calls += 1
        raise self.error


def queue(to="dana@example.org", subject="Submission received", kind="submission.received"):
    message = queue_email(to=to, subject=subject, body="We have your submission.", kind=kind)
    db.session.commit()
    return message


def all_messages():
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_queue_email_is_pending_and_due_at_once(app):
    message = queue()
    assert message.sent_at is None and message.attempts == 0 and message.last_error == ""
    assert message.next_attempt_at == message.created_at
    assert message.is_pending


def test_queue_email_is_discarded_with_a_rolled_back_transaction(app):
    queue_email(to="dana@example.org", subject="Received", body="...", kind="submission.received")
    db.session.rollback()
    assert all_messages() == []


def test_queue_email_folds_the_subject_onto_one_line(app):
    message = queue(subject="Received\r\nBcc: everyone@example.org")
    assert message.subject == "Received Bcc: everyone@example.org"


@pytest.mark.parametrize("address", ["", "no-at-sign", "dana@example.org\r\nBcc: x@example.org"])
def test_queue_email_refuses_a_bad_address(app, address):
    with pytest.raises(ValueError):
        queue_email(to=address, subject="s", body="b", kind="k")


def test_send_pending_sends_and_records_sent_at(app):
    first, second = queue(to="a@example.org"), queue(to="b@example.org")
    sender, now = RecordingSender(), utcnow()

    assert send_pending(sender=sender, now=now) == (2, 0)

    assert sender.sent == [(first.id, "a@example.org", "Submission received"), (second.id, "b@example.org",
                                                                                  "Submission received")]
    assert [m.sent_at for m in all_messages()] == [now, now]
    assert send_pending(sender=sender, now=now) == (0, 0)  # nothing is sent twice
    assert len(sender.sent) == 2


def test_send_pending_keeps_a_failed_message_and_schedules_a_retry(app):
    message = queue()
    now = utcnow()

    assert send_pending(sender=FailingSender(), now=now) == (0, 1)

    db.session.expire_all()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert message.next_attempt_at == now + timedelta(minutes=1)


def test_send_pending_retries_with_growing_backoff_then_delivers(app):
    message = queue()
    now = utcnow()
    send_pending(sender=FailingSender(), now=now)
    second_try = now + timedelta(minutes=1)

    assert send_pending(sender=FailingSender(), now=second_try) == (0, 1)
    assert message.attempts == 2
    assert message.next_attempt_at == second_try + timedelta(minutes=2)

    sender = RecordingSender()
    assert send_pending(sender=sender, now=second_try + timedelta(minutes=2)) == (1, 0)
    assert sender.sent == [(message.id, "dana@example.org", "Submission received")]
    assert message.sent_at == second_try + timedelta(minutes=2)
    assert message.attempts == 2  # the history of failures is kept


def test_send_pending_skips_a_message_not_yet_due(app):
    message = queue()
    now = utcnow()
    send_pending(sender=FailingSender(), now=now)
    sender = RecordingSender()

    assert send_pending(sender=sender, now=now + timedelta(seconds=59)) == (0, 0)

    assert sender.sent == []
    assert message.sent_at is None and message.attempts == 1


def test_send_pending_tries_each_message_once_per_pass_and_goes_on_after_a_failure(app):
    failing, fine = queue(to="down@example.org"), queue(to="up@example.org")

    class DownForOne(RecordingSender):
        def send(self, message):
            if message.to_address == "down@example.org":
                raise OSError("mailbox unavailable")
            super().send(message)

    sender = DownForOne()
    assert send_pending(sender=sender, now=utcnow()) == (1, 1)
    assert sender.sent == [(fine.id, "up@example.org", "Submission received")]
    assert failing.attempts == 1 and failing.last_error == "OSError: mailbox unavailable"


def test_send_pending_stops_at_the_batch_size_oldest_first(app):
    messages = [queue(to=f"p{n}@example.org") for n in range(3)]
    sender = RecordingSender()

    assert send_pending(sender=sender, now=utcnow(), batch=2) == (2, 0)

    assert [sent[0] for sent in sender.sent] == [messages[0].id, messages[1].id]
    assert messages[2].sent_at is None


def test_send_pending_cuts_a_long_error_text(app):
    message = queue()
    send_pending(sender=FailingSender(RuntimeError("x" * 10_000)), now=utcnow())
    assert message.last_error == ("RuntimeError: " + "x" * 10_000)[:2000]


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [
        (1, timedelta(minutes=1)),
        (2, timedelta(minutes=2)),
        (3, timedelta(minutes=4)),
        (5, timedelta(minutes=16)),
        (9, timedelta(minutes=256)),
        (10, timedelta(hours=6)),
        (20, timedelta(hours=6)),
        (1000, timedelta(hours=6)),
    ],
)
def test_backoff_doubles_from_one_minute_up_to_six_hours(attempts, wait):
    assert backoff(attempts) == wait


@pytest.mark.postgres_only
def test_two_workers_never_send_the_same_message(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    first, second = queue(to="a@example.org"), queue(to="b@example.org")
    now = utcnow()
    other_worker = RecordingSender()

    class Interleaved(RecordingSender):
        def send(self, message):
            super().send(message)
            if len(self.sent) == 1:  # while this worker holds the first row, a second worker makes a pass
                with app.app_context():
                    db.session.execute(text("SET LOCAL lock_timeout = '2s'"))  # fail, not hang, if it waits
                    assert send_pending(sender=other_worker, now=now) == (1, 0)

    this_worker = Interleaved()
    assert send_pending(sender=this_worker, now=now) == (1, 0)

    assert [sent[0] for sent in this_worker.sent] == [first.id]
    assert [sent[0] for sent in other_worker.sent] == [second.id]


def test_a_one_time_link_is_removed_from_the_body_once_sent_and_only_then(app):
    secret = queue_email(to="a@example.org", subject="Invited", body="Set your password: /invitations/t0k3n",
                         kind="cohort.invitation", forget_body=True)
    plain = queue(to="b@example.org")
    db.session.commit()
    failing = FailingSender()

    send_pending(sender=failing, now=utcnow())
    assert "t0k3n" in secret.body  # not delivered yet: the retry still needs it
    send_pending(sender=RecordingSender(), now=utcnow() + timedelta(days=1))

    assert "t0k3n" not in secret.body and "one-time link" in secret.body
    assert plain.body == "We have your submission."
