from flask import Blueprint, abort, render_template
from flask_login import current_user

from portal import cache
from portal.badges.services import EARNED, earned_counts
from portal.catalog import cached
from portal.submissions.services import find_open_submission, missing_prerequisites

bp = Blueprint("catalog", __name__)


def _read_generations() -> None:
    # Every catalog page reads the catalog and the earned counts: one query asks for both generations.
    cache.read_generations(cached.CATALOG, EARNED)


@bp.get("/")
def index():
    _read_generations()
    return render_template("catalog/index.html", stacks=cached.catalog_view().stacks)


@bp.get("/stacks/<slug>")
def stack(slug: str):
    _read_generations()
    stack = cached.find_stack(slug)
    if stack is None:
        abort(404)
    return render_template("catalog/stack.html", stack=stack, counts=earned_counts())


@bp.get("/stacks/<stack_slug>/<credential_slug>")
def credential(stack_slug: str, credential_slug: str):
    _read_generations()
    stack = cached.find_stack(stack_slug)
    credential = stack.credential(credential_slug) if stack is not None else None
    if credential is None:
        abort(404)
    missing, submission = [], None
    if current_user.is_authenticated:
        missing = missing_prerequisites(current_user, credential)
        submission = find_open_submission(current_user, credential)
    return render_template(
        "catalog/credential.html", stack=stack, credential=credential, missing=missing, submission=submission,
        earned_count=earned_counts().credential(credential.id),
    )
