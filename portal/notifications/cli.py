"""`flask outbox ...`: send the outbox once, run the sending worker, or report on it."""

import signal
import threading

import click
from flask import Blueprint, current_app
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.notifications import services
from portal.notifications.senders import make_sender

bp = Blueprint("outbox_cli", __name__, cli_group="outbox")


@bp.cli.command("send")
@click.option("--batch", default=100, show_default=True, help="Most messages to send in this pass.")
def send(batch):
    """Send the due messages once."""
    sent, failed = services.send_pending(sender=make_sender(current_app.config), batch=batch)
    click.echo(f"sent {sent}, failed {failed}, pending {services.outbox_status().pending}")


@bp.cli.command("work")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between passes.")
@click.option("--batch", default=100, show_default=True, help="Most messages to send in one pass.")
@click.option("--once", is_flag=True, help="Make one pass and stop.")
def work(interval, batch, once):
    """Send due messages every few seconds until stopped (Ctrl-C or SIGTERM)."""
    sender = make_sender(current_app.config)
    stop = threading.Event()
    previous = _stop_on_signals(stop) if not once else {}
    try:
        while not stop.is_set():
            _one_pass(sender, batch)
            if once:
                break
            stop.wait(interval)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("Outbox worker stopped.")


def _one_pass(sender, batch: int) -> None:
    try:
        sent, failed = services.send_pending(sender=sender, batch=batch)
    except SQLAlchemyError as error:
        # A database restart must not end the worker: log it and try again on the next pass.
        db.session.rollback()
        click.echo(f"Database error, retrying next pass: {error}", err=True)
        return
    finally:
        db.session.remove()
    if sent or failed:
        click.echo(f"sent {sent}, failed {failed}")


def _stop_on_signals(stop: threading.Event) -> dict:
    """The first Ctrl-C or SIGTERM lets the current pass finish, so no message is cut off between being
    handed to the mail server and being recorded as sent; a second Ctrl-C interrupts at once."""

    def handle(signum, _frame):
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        click.echo("Stopping after this pass (Ctrl-C again to stop now).", err=True)
        stop.set()

    return {signum: signal.signal(signum, handle) for signum in (signal.SIGINT, signal.SIGTERM)}


@bp.cli.command("status")
def status():
    """Pending messages, those failing with their last error, and those sent in the last 24 hours."""
    report = services.outbox_status()
    click.echo(f"pending {report.pending}")
    shown = f" (the {len(report.failing)} most retried)" if report.failing_count > len(report.failing) else ""
    click.echo(f"failing {report.failing_count}{shown}")
    for message in report.failing:
        click.echo(
            f"  #{message.id} {message.kind} to {message.to_address}: {message.attempts} attempts, "
            f"next at {message.next_attempt_at:%Y-%m-%d %H:%M} UTC, last error: {message.last_error}"
        )
    click.echo(f"sent in the last 24h {report.sent_last_day}")
