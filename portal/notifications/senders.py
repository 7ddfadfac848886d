"""Where outbox messages go: the console in development, an SMTP server when MAIL_SERVER is set.

A sender has one method, send(message), which returns when the message is handed over and raises
on any failure (the outbox then keeps the message and retries it later).
"""

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Protocol, TextIO

import click

from portal.notifications.models import OutboxMessage

DEFAULT_FROM = "Micro-credential Portal <no-reply@example.org>"


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


@dataclass
class ConsoleSender:
    """Writes each message to the console (stdout unless a stream is given), for development."""

    from_address: str = DEFAULT_FROM
    stream: TextIO | None = None

    def send(self, message: OutboxMessage) -> None:
        click.echo(
            f"----- email {message.id} ({message.kind}) -----\n"
            f"From: {self.from_address}\nTo: {message.to_address}\nSubject: {message.subject}\n\n"
            f"{message.body}\n----- end of email {message.id} -----",
            file=self.stream,
        )


@dataclass
class SmtpSender:
    """Sends each message over its own SMTP connection, upgraded with STARTTLS when use_tls,
    and signs in when a username is set."""

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # kept out of logs and tracebacks
    use_tls: bool = True
    from_address: str = DEFAULT_FROM
    timeout: float = 30

    def send(self, message: OutboxMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(self.build(message))

    def build(self, message: OutboxMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.from_address
        email["To"] = message.to_address
        email["Subject"] = message.subject
        email["Date"] = format_datetime(message.created_at.replace(tzinfo=UTC), usegmt=True)  # stored as naive UTC
        email["Message-ID"] = make_msgid(domain=_domain(self.from_address))
        # RFC 3834: out-of-office robots must not answer a machine.
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.body)
        return email


def _domain(address: str) -> str | None:
    return parseaddr(address)[1].rpartition("@")[2] or None


def make_sender(config) -> Sender:
    """An SmtpSender when config has MAIL_SERVER, else a ConsoleSender. Reads MAIL_PORT (587),
    MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS (True) and MAIL_FROM with those defaults."""
    from_address = config.get("MAIL_FROM") or DEFAULT_FROM
    if not config.get("MAIL_SERVER"):
        return ConsoleSender(from_address=from_address)
    return SmtpSender(
        host=config["MAIL_SERVER"],
        port=int(config.get("MAIL_PORT") or 587),
        username=config.get("MAIL_USERNAME") or None,
        password=config.get("MAIL_PASSWORD") or None,
        use_tls=_flag(config.get("MAIL_USE_TLS", True)),
        from_address=from_address,
    )


def _flag(value) -> bool:
    # Settings read from the environment arrive as strings; "false" must not count as true.
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)
