"""Demo data for trying the portal: the bundled stacks, an account per role, and work in every state."""

import io

import click
from flask import Blueprint, current_app
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts import two_factor
from portal.accounts.models import User
from portal.badges import services as badges
from portal.catalog.loader import bundled_stack_paths, load_stack
from portal.catalog.models import Credential, Stack
from portal.catalog.services import sync_stack
from portal.cohorts.demo import seed_demo_cohort
from portal.extensions import db
from portal.reviews import routing
from portal.reviews import services as reviews
from portal.reviews.models import Assignment, AssignmentState
from portal.submissions import services as submissions
from portal.submissions.models import Submission

bp = Blueprint("demo", __name__, cli_group=None)

DEMO_PASSWORD = "demo-password"  # noqa: S105 -- printed on the console by design; never in production
# The demo's authenticator-app key for the accounts whose role requires two-step sign-in (staff by default).
DEMO_TOTP_SECRET = "DEMOSTAFFKEYFORTRYINGTHEPORTAL23"  # noqa: S105 -- printed on the console by design
DEMO_ACCOUNTS = [
    # email, name, organization, roles, what the account shows
    ("educator@example.org", "Dana Whitfield", "Riverside Unified School District", ("educator",),
     "has earned Foundations; can submit the District Plan"),
    ("newcomer@example.org", "Sam Ortega", "Mesa County Schools", ("educator",), "has earned nothing yet"),
    ("revising@example.org", "Lee Park", "Riverside Unified School District", ("educator",),
     "got Not yet on Identifying Challenges; can revise"),
    ("reviewer@example.org", "Priya Raman", "Lakeview Charter Network", ("reviewer",),
     "has submissions to score in the review queue"),
    ("reviewer2@example.org", "Jordan Ellis", "Harbor City Schools", ("reviewer",), "a second reviewer"),
    ("staff@example.org", "Morgan Lee", "CoSN Program Office", ("staff", "reviewer"), "runs the program"),
]
# Educators whose work fills the queues: (email, name, organization, [(credential, what happens)]).
BACKGROUND = [
    ("alex.rivera@example.org", "Alex Rivera", "Mesa County Schools",
     [("identifying-challenges", "submitted"), ("engaging-stakeholders", "draft")]),
    ("kim.nguyen@example.org", "Kim Nguyen", "Riverside Unified School District",
     [("identifying-challenges", "in_review")]),
    ("ruth.okafor@example.org", "Ruth Okafor", "Mesa County Schools",
     [("identifying-challenges", "earned"), ("engaging-stakeholders", "withdrawn")]),
]
# One blank page: a PDF every reader opens (uploads also make the reviewers' copy from it).
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
ESSAY = (
    "About a third of our students finish homework on a phone or in a fast-food parking lot. The gap "
    "follows our rural bus routes, so **where students live** matters more than which device they own."
)
GOAL = {
    "statement": "Every student has home internet that can carry a video lesson.",
    "action_steps": "Survey families each fall; lend hotspots; negotiate a low-cost plan with the local provider.",
    "timelines": "Survey in September; hotspots by October; provider agreement by January.",
    "team_members": "Director of technology, two principals, family liaison.",
    "partners": "County library, regional internet provider, parent-teacher association.",
    "measurable_outcomes": "Share of students reporting reliable home access rises from 68% to 90% by June.",
}


def seed_demo() -> list[tuple[str, str, str]]:
    """Load the bundled stacks and create the demo accounts and their history. Safe to run again."""
    for path in bundled_stack_paths():
        sync_stack(load_stack(path))
    people = {email: _account(email, name, org, roles) for email, name, org, roles, _ in DEMO_ACCOUNTS}
    stacks = list(db.session.scalars(select(Stack)))
    for email in ("reviewer@example.org", "reviewer2@example.org", "staff@example.org"):
        reviews.ensure_profile(people[email]).stacks = stacks
    db.session.flush()
    if not db.session.scalar(select(Submission.id).limit(1)):
        _seed_history(people)
    educators = [accounts.find_user_by_email(email) for email, *_ in DEMO_ACCOUNTS[:3] + BACKGROUND]
    seed_demo_cohort(staff=people["staff@example.org"], members=[(u, "District leader") for u in educators])
    badges.issue_missing()  # demo data seeded before the portal issued credentials gets them too
    db.session.commit()
    return [(email, DEMO_PASSWORD, f"{', '.join(roles)}: {note}") for email, _, _, roles, note in DEMO_ACCOUNTS]


def _account(email, name, organization, roles) -> User:
    return accounts.find_user_by_email(email) or accounts.create_user(
        email=email, name=name, password=DEMO_PASSWORD, organization=organization, roles=roles
    )


def _seed_history(people) -> None:
    _work(people["educator@example.org"], "foundations", "earned")
    lee = people["revising@example.org"]
    _work(lee, "foundations", "earned")
    _work(lee, "identifying-challenges", "not_yet")
    for email, name, org, plan in BACKGROUND:
        educator = _account(email, name, org, ("educator",))
        _work(educator, "foundations", "earned")
        for slug, outcome in plan:
            _work(educator, slug, outcome)


def _credential(slug: str) -> Credential:
    return db.session.scalar(select(Credential).where(Credential.slug == slug))


def _answers(credential: Credential) -> dict:
    answers = {}
    for part in credential.requirements.parts:
        if part.kind == "essay":
            answers[part.key] = {"text": ESSAY}
        elif part.kind == "plan":
            answers[part.key] = {"goals": [dict(GOAL) for _ in range(part.min_goals)]}
    return answers


def earn_through_review(educator: User, slug: str) -> None:
    """Submit `slug` for educator and have the assigned demo reviewer mark every part Yes."""
    _work(educator, slug, "earned")


def _work(educator: User, slug: str, outcome: str) -> None:
    """Take one submission as far as `outcome` through the real services: routing, reviews and all."""
    credential = _credential(slug)
    submission = submissions.start_submission(educator=educator, credential=credential)
    version = submission.current_version
    submissions.save_draft(educator=educator, submission=submission, answers=_answers(credential),
                           base_revision=version.revision)
    for part in version.requirements.parts:
        if part.min_files:
            submissions.add_artifact(educator=educator, submission=submission, part_key=part.key,
                                     stream=io.BytesIO(TINY_PDF), filename="district-data.pdf",
                                     config=current_app.config)
    if outcome == "draft":
        return
    if outcome == "withdrawn":
        submissions.withdraw(educator=educator, submission=submission)
        return
    version = submissions.submit(educator=educator, submission=submission)
    reviews.route_submitted(version, actor=educator)
    if outcome != "submitted":
        _review(version, outcome)


def _review(version, outcome: str) -> None:
    for reviewer_id in sorted(routing.holders(version)):
        assignment = db.session.scalar(
            select(Assignment).where(Assignment.version_id == version.id, Assignment.reviewer_id == reviewer_id,
                                     Assignment.state == AssignmentState.OPEN)
        )
        entries = {part.key: ("yes", "Clear and specific.") for part in version.requirements.parts}
        if outcome == "in_review":
            reviews.save_review(reviewer=assignment.reviewer, assignment=assignment, entries=entries)
            return
        if outcome == "not_yet":
            last = version.requirements.parts[-1].key
            entries[last] = ("not_yet", "Say what you learned about your district, not only what you did.")
        reviews.confirm_review(reviewer=assignment.reviewer, assignment=assignment, entries=entries)


@bp.cli.command("demo")
def demo_command():
    """Load the demo data and print the demo accounts."""
    if current_app.config["SESSION_COOKIE_SECURE"]:
        raise click.ClickException("Demo accounts are not created in production.")
    rows = seed_demo()
    second_step = enrol_demo_second_factor()
    click.echo(f"\nDemo accounts (password for all: {DEMO_PASSWORD})")
    for email, _, note in rows:
        click.echo(f"  {email:<24} {note}")
    click.echo("")
    for email, codes in second_step:
        click.echo(f"{email} must use two-step sign-in (TWO_FACTOR_REQUIRED_ROLES). Add this key to an authenticator "
                   f"app (time-based, 6 digits): {DEMO_TOTP_SECRET}")
        click.echo(f"  or get the current code with: python -c \"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}')"
                   ".now())\"")
        click.echo(f"  recovery codes (each works once): {' '.join(codes)}")
    if second_step:
        click.echo("")


def enrol_demo_second_factor() -> list[tuple[str, list[str]]]:
    """Give the demo accounts whose role requires two-step sign-in an authenticator app with the printed key."""
    enrolled = []
    for email, *_ in DEMO_ACCOUNTS:
        user = accounts.find_user_by_email(email)
        if two_factor.is_required(user):
            enrolled.append((email, two_factor.enrol_with_known_secret(user=user, secret=DEMO_TOTP_SECRET)))
    db.session.commit()
    return enrolled
