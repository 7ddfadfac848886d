import click
from flask import Blueprint

from portal.accounts import services
from portal.accounts.forms import ROLE_CHOICES
from portal.extensions import db

bp = Blueprint("accounts_cli", __name__, cli_group="accounts")


@bp.cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--organization", default="")
@click.option(
    "--role", "roles", multiple=True, type=click.Choice(ROLE_CHOICES), default=["reviewer"], show_default=True
)
@click.password_option()
def create(email, name, organization, roles, password):
    """Create an account, for example a reviewer or a staff member."""
    try:
        user = services.create_user(email=email, name=name, password=password, organization=organization, roles=roles)
    except services.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(user.roles)}).")


@bp.cli.command("purge-sessions")
def purge_sessions():
    """Delete expired sign-in sessions."""
    click.echo(f"Deleted {services.purge_expired_sessions()} expired sessions.")
    db.session.commit()
