"""The console sender, the SMTP sender (against a fake smtplib.SMTP) and the choice between them."""

import io
from datetime import datetime

import pytest

from portal.notifications import senders
from portal.notifications.models import OutboxMessage
from portal.notifications.senders import DEFAULT_FROM, ConsoleSender, SmtpSender, make_sender


def message(**fields):
    values = dict(
        id=7, to_address="dana@example.org", subject="Submission received", body="We have your submission.",
        kind="submission.received", created_at=datetime(2025, 3, 4, 10, 30),
    )
    return OutboxMessage(**(values | fields))


def test_console_sender_writes_the_whole_message():
    out = io.StringIO()

    ConsoleSender(stream=out).send(message())

    text = out.getvalue()
    assert f"From: {DEFAULT_FROM}\nTo: dana@example.org\nSubject: Submission received\n\n" in text
    assert "We have your submission." in text and "email 7 (submission.received)" in text


def test_console_sender_writes_to_stdout_by_default(capsys):
    ConsoleSender().send(message())
    assert "To: dana@example.org" in capsys.readouterr().out


class FakeSMTP:
    """Stands in for smtplib.SMTP (aiosmtpd is not installed) and records what the sender asks of it."""

    instances = []

    def __init__(self, host, port, timeout=None):
        self.calls = [("connect", host, port, timeout)]
        self.messages = []
        FakeSMTP.instances.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.calls.append(("quit",))

    def starttls(self, context=None):
        self.calls.append(("starttls", context is not None))

    def login(self, username, password):
        self.calls.append(("login", username, password))

    def send_message(self, email):
        self.calls.append(("send_message",))
        self.messages.append(email)


@pytest.fixture
def fake_smtp(monkeypatch):
    FakeSMTP.instances = []
    monkeypatch.setattr(senders.smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


def test_smtp_sender_uses_starttls_and_login_then_sends(fake_smtp):
    sender = SmtpSender("mail.example.org", 587, "portal", "s3cret", True, "Portal <portal@example.org>")

    sender.send(message())

    (smtp,) = fake_smtp.instances
    assert smtp.calls == [
        ("connect", "mail.example.org", 587, 30), ("starttls", True), ("login", "portal", "s3cret"),
        ("send_message",), ("quit",),
    ]
    email = smtp.messages[0]
    assert (email["From"], email["To"], email["Subject"]) == (
        "Portal <portal@example.org>", "dana@example.org", "Submission received"
    )
    assert email["Date"] == "Tue, 04 Mar 2025 10:30:00 +0000"
    assert email["Message-ID"].endswith("@example.org>")
    assert email["Auto-Submitted"] == "auto-generated"
    assert email.get_content() == "We have your submission.\n"


def test_smtp_sender_without_tls_or_username_just_sends(fake_smtp):
    SmtpSender(host="localhost", port=25, use_tls=False).send(message())
    assert fake_smtp.instances[0].calls == [("connect", "localhost", 25, 30), ("send_message",), ("quit",)]


def test_smtp_sender_keeps_the_password_out_of_its_repr():
    assert "s3cret" not in repr(SmtpSender(host="mail.example.org", password="s3cret"))


def test_smtp_sender_lets_a_failure_reach_the_outbox(monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(senders.smtplib, "SMTP", refuse)
    with pytest.raises(ConnectionRefusedError):
        SmtpSender(host="localhost").send(message())


def test_make_sender_is_console_without_mail_server():
    sender = make_sender({})
    assert isinstance(sender, ConsoleSender) and sender.from_address == DEFAULT_FROM


def test_make_sender_is_smtp_with_mail_server_and_defaults():
    assert make_sender({"MAIL_SERVER": "mail.example.org"}) == SmtpSender(
        host="mail.example.org", port=587, username=None, password=None, use_tls=True, from_address=DEFAULT_FROM
    )


def test_make_sender_reads_every_mail_setting():
    config = {
        "MAIL_SERVER": "mail.example.org", "MAIL_PORT": "2525", "MAIL_USERNAME": "portal", "MAIL_PASSWORD": "pw",
        "MAIL_USE_TLS": "false", "MAIL_FROM": "Portal <portal@example.org>",
    }
    assert make_sender(config) == SmtpSender(
        host="mail.example.org", port=2525, username="portal", password="pw", use_tls=False,
        from_address="Portal <portal@example.org>",
    )
