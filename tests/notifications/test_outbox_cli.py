"""`flask outbox send | work | status` through the Flask CLI runner."""

from datetime import timedelta

import pytest

from portal.audit import utcnow
from portal.extensions import db
from portal.notifications import cli, senders
from portal.notifications.models import OutboxMessage
from portal.notifications.services import queue_email


@pytest.fixture
def runner(app):
    # Until create_app registers the commands, register them here (once: the name must be unique).
    if "outbox_cli" not in app.blueprints:
        app.register_blueprint(cli.bp)
    return app.test_cli_runner()


def queue(to="dana@example.org"):
    message = queue_email(to=to, subject="Submission received", body="We have your submission.", kind="k")
    db.session.commit()
    return message


def reload(message_id):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_outbox_send_prints_to_the_console_and_marks_sent(runner):
    message_id = queue().id

    result = runner.invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert "To: dana@example.org\nSubject: Submission received" in result.output
    assert result.output.endswith("sent 1, failed 0, pending 0\n")
    assert reload(message_id).sent_at is not None


def test_outbox_send_counts_failures_and_leaves_them_pending(runner, app, monkeypatch):
    message_id = queue().id
    app.config["MAIL_SERVER"] = "mail.example.org"

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(senders.smtplib, "SMTP", refuse)

    result = runner.invoke(args=["outbox", "send"])

    assert result.output == "sent 0, failed 1, pending 1\n"
    message = reload(message_id)
    assert (message.sent_at, message.attempts) == (None, 1)
    assert message.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"


def test_outbox_work_once_makes_one_pass(runner):
    message_id = queue().id

    result = runner.invoke(args=["outbox", "work", "--once"])

    assert result.exit_code == 0, result.output
    assert "sent 1, failed 0\nOutbox worker stopped.\n" in result.output
    assert reload(message_id).sent_at is not None


def test_outbox_status_reports_pending_failing_and_sent(runner):
    sent, failing, _waiting = queue("a@example.org"), queue("b@example.org"), queue("c@example.org")
    sent.sent_at = utcnow() - timedelta(hours=1)
    failing.attempts, failing.last_error = 3, "SMTPServerDisconnected: Connection unexpectedly closed"
    failing.next_attempt_at = utcnow() + timedelta(minutes=4)
    db.session.commit()

    result = runner.invoke(args=["outbox", "status"])

    lines = result.output.splitlines()
    assert lines[0] == "pending 2"
    assert lines[1] == "failing 1"
    assert lines[2].startswith(f"  #{failing.id} k to b@example.org: 3 attempts, next at ")
    assert lines[2].endswith("last error: SMTPServerDisconnected: Connection unexpectedly closed")
    assert lines[3] == "sent in the last 24h 1"
