"""Demo data for trying the portal: the bundled stacks and one account per role."""

import io

import click
from flask import Blueprint, current_app
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.catalog.loader import bundled_stack_paths, load_stack
from portal.catalog.models import Credential
from portal.catalog.services import sync_stack
from portal.extensions import db
from portal.submissions import services as submissions
from portal.submissions.models import State

bp = Blueprint("demo", __name__, cli_group=None)

DEMO_PASSWORD = "demo-password"  # noqa: S105 -- printed on the console by design; never in production
DEMO_ACCOUNTS = [
    # email, name, organization, roles, what the account shows
    ("educator@example.org", "Dana Whitfield", "Riverside Unified School District", ("educator",),
     "has earned Foundations; can submit the District Plan"),
    ("newcomer@example.org", "Sam Ortega", "Mesa County Schools", ("educator",),
     "has earned nothing yet"),
    ("reviewer@example.org", "Priya Raman", "Lakeview Charter Network", ("reviewer",), "reviews submissions"),
    ("staff@example.org", "Morgan Lee", "CoSN Program Office", ("staff", "reviewer"), "runs the program"),
]
TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FOUNDATIONS_ANSWERS = {
    "overview": {"text": "About a third of our students finish homework on a phone or at a fast-food restaurant's "
                         "Wi-Fi. The homework gap in Riverside follows our rural bus routes."},
    "reflection": {"text": "Mapping survey answers against bus routes showed that the gap is about where "
                           "students live, not about devices alone."},
}


def seed_demo() -> list[tuple[str, str, str]]:
    """Load the bundled stacks and create the demo accounts and their history. Safe to run again."""
    for path in bundled_stack_paths():
        sync_stack(load_stack(path))
    created = {}
    for email, name, organization, roles, _ in DEMO_ACCOUNTS:
        user = accounts.find_user_by_email(email) or accounts.create_user(
            email=email, name=name, password=DEMO_PASSWORD, organization=organization, roles=roles
        )
        created[email] = user
    foundations = db.session.scalar(select(Credential).where(Credential.slug == "foundations"))
    if foundations and not submissions.earned_credential_ids(created["educator@example.org"]):
        _earn(created["educator@example.org"], foundations, created["staff@example.org"])
    db.session.commit()
    return [(email, DEMO_PASSWORD, f"{', '.join(roles)}: {note}") for email, _, _, roles, note in DEMO_ACCOUNTS]


def _earn(educator: User, credential: Credential, staff: User) -> None:
    submission = submissions.start_submission(educator=educator, credential=credential)
    version = submission.current_version
    answers = dict(FOUNDATIONS_ANSWERS)
    submissions.save_draft(educator=educator, submission=submission, answers=answers, base_revision=version.revision)
    for part in version.requirements.parts:
        if part.min_files or part.accepts_artifacts:
            submissions.add_artifact(
                educator=educator, submission=submission, part_key=part.key, stream=io.BytesIO(TINY_PDF),
                filename="homework-gap-snapshot.pdf", config=current_app.config,
            )
            break
    submissions.submit(educator=educator, submission=submission)
    submissions.transition(submission, State.IN_REVIEW, actor=staff)
    submissions.transition(submission, State.EARNED, actor=staff)


@bp.cli.command("demo")
def demo_command():
    """Load the demo data and print the demo accounts."""
    if not current_app.config.get("DEBUG") and current_app.config["SESSION_COOKIE_SECURE"]:
        raise click.ClickException("Demo accounts are not created in production.")
    rows = seed_demo()
    click.echo(f"\nDemo accounts (password for all: {DEMO_PASSWORD})")
    for email, _, note in rows:
        click.echo(f"  {email:<24} {note}")
    click.echo("")
