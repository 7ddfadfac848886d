from flask import Blueprint, render_template
from flask_login import current_user

from portal.catalog import services
from portal.submissions.services import find_open_submission, missing_prerequisites

bp = Blueprint("catalog", __name__)


@bp.get("/")
def index():
    return render_template("catalog/index.html", stacks=services.list_stacks())


@bp.get("/stacks/<slug>")
def stack(slug: str):
    return render_template("catalog/stack.html", stack=services.get_stack_or_404(slug))


@bp.get("/stacks/<stack_slug>/<credential_slug>")
def credential(stack_slug: str, credential_slug: str):
    credential = services.get_credential_or_404(stack_slug, credential_slug)
    missing, submission = [], None
    if current_user.is_authenticated:
        missing = missing_prerequisites(current_user, credential)
        submission = find_open_submission(current_user, credential)
    return render_template(
        "catalog/credential.html", credential=credential, missing=missing, submission=submission
    )
