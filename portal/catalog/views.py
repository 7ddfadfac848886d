from flask import Blueprint, render_template
from flask_login import current_user

from portal.badges.services import earned_count
from portal.catalog import services
from portal.submissions.services import find_open_submission, missing_prerequisites

bp = Blueprint("catalog", __name__)


@bp.get("/")
def index():
    return render_template("catalog/index.html", stacks=services.list_stacks())


@bp.get("/stacks/<slug>")
def stack(slug: str):
    stack = services.get_stack_or_404(slug)
    # A handful of small counts (a stack holds a few credentials), each through the index on the credential.
    counts = {credential.id: earned_count(credential_id=credential.id) for credential in stack.credentials}
    return render_template(
        "catalog/stack.html", stack=stack, counts=counts, stack_count=earned_count(stack_id=stack.id)
    )


@bp.get("/stacks/<stack_slug>/<credential_slug>")
def credential(stack_slug: str, credential_slug: str):
    credential = services.get_credential_or_404(stack_slug, credential_slug)
    missing, submission = [], None
    if current_user.is_authenticated:
        missing = missing_prerequisites(current_user, credential)
        submission = find_open_submission(current_user, credential)
    return render_template(
        "catalog/credential.html", credential=credential, missing=missing, submission=submission,
        earned_count=earned_count(credential_id=credential.id),
    )
