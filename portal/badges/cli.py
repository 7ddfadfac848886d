"""`flask badges ...`: the issuer key and issuing what is missing."""

import click
from flask import Blueprint, current_app

from portal.badges import keys, services
from portal.extensions import db

bp = Blueprint("badges_cli", __name__, cli_group="badges")


@bp.cli.command("keygen")
@click.option("--if-missing", is_flag=True, help="Keep the key already configured, only publishing it if needed.")
def keygen(if_missing: bool) -> None:
    """Make a new issuer key; the previous one is retired but stays published, so what it signed verifies."""
    if if_missing and keys.configured_private_key() is not None:
        signing = keys.signing_key()  # publishes a configured key the database does not know yet
        db.session.commit()
        click.echo(f"The issuer key {signing.key.key_id} is in place.")
        return
    key, private_key = keys.generate()
    db.session.commit()
    click.echo(f"Made the issuer key {key.key_id} ({key.public_key_multibase}).")
    if current_app.config.get("BADGE_PRIVATE_KEY"):
        click.echo("BADGE_PRIVATE_KEY is set: set it to this new value, and keep it secret:")
        click.echo(keys.encode_private(private_key))
    else:
        click.echo(f"The private key is in {keys.key_file()}: keep it secret and out of shared backups.")


@bp.cli.command("issue-missing")
def issue_missing() -> None:
    """Issue the credential of every earned submission that has none yet."""
    count = services.issue_missing()
    db.session.commit()
    click.echo(f"Issued {count} credential(s).")
