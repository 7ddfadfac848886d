from pathlib import Path

import click
from flask import Blueprint

from portal.catalog.loader import StackFileError, bundled_stack_paths, load_stack
from portal.catalog.services import sync_stack
from portal.extensions import db
from portal.text import plural

bp = Blueprint("catalog_cli", __name__, cli_group="catalog")


@bp.cli.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(paths):
    """Validate and load stack files (default: the bundled ones). Nothing is written if any file has a problem."""
    specs = []
    for path in paths or bundled_stack_paths():
        try:
            specs.append(load_stack(path))
        except StackFileError as error:
            click.echo(f"{path}: {plural(len(error.problems), 'problem')}", err=True)
            for problem in error.problems:
                click.echo(f"  {path}:{problem}", err=True)
            raise SystemExit(1) from None
    for spec in specs:
        for change in sync_stack(spec) or ["no changes"]:
            click.echo(f"{spec.slug}: {change}")
    db.session.commit()


@bp.cli.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(path):
    """Validate a stack file without loading it."""
    try:
        spec = load_stack(path)
    except StackFileError as error:
        for problem in error.problems:
            click.echo(f"{path}:{problem}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{path}: OK, stack {spec.slug} with {plural(len(spec.credentials), 'credential')}")
