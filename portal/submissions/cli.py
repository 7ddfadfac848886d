from pathlib import Path

import click
from flask import Blueprint, current_app

from portal.submissions import storage

bp = Blueprint("uploads_cli", __name__, cli_group="uploads")


@bp.cli.command("sweep")
def sweep():
    """Run daily (cron): remove the files of versions withdrawn more than UPLOAD_RETENTION_DAYS ago, files without
    a row (a worker stopped mid-upload), and temporary files older than an hour."""
    report = storage.sweep(
        directory=Path(current_app.config["UPLOAD_FOLDER"]),
        retention_days=current_app.config["UPLOAD_RETENTION_DAYS"],
    )
    click.echo(str(report))
