import threading

import click
from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.reviews import services
from portal.text import plural

bp = Blueprint("reviews_cli", __name__, cli_group="reviews")


@bp.cli.command("tick")
@click.option("--every", type=float, default=None,
              help="Repeat every this many seconds until stopped (what `make run` does); once without it.")
def tick(every):
    """Run every few minutes (cron or a worker): reminders, overdue notices, and routing of waiting work."""
    stop = threading.Event()
    while True:
        _one_tick()
        if every is None or stop.wait(every):
            break


def _one_tick() -> None:
    try:
        reminded, overdue = services.send_reminders()
        routed = services.route_waiting()
        db.session.commit()
    except SQLAlchemyError as error:
        # A busy or restarting database must not end a repeating tick: try again next time.
        db.session.rollback()
        click.echo(f"Database error, retrying next tick: {error}", err=True)
        return
    finally:
        db.session.remove()
    click.echo(f"reminded {reminded}, overdue {overdue}, routed {plural(routed, 'waiting submission')}")
