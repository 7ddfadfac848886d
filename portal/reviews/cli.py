import click
from flask import Blueprint

from portal.extensions import db
from portal.reviews import services
from portal.text import plural

bp = Blueprint("reviews_cli", __name__, cli_group="reviews")


@bp.cli.command("tick")
def tick():
    """Run every few minutes (cron or a worker): reminders, overdue notices, and routing of waiting work."""
    reminded, overdue = services.send_reminders()
    routed = services.route_waiting()
    db.session.commit()
    click.echo(f"reminded {reminded}, overdue {overdue}, routed {plural(routed, 'waiting submission')}")
