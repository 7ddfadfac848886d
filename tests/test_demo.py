"""`flask demo`: the demo accounts and their history, created once however often the command runs."""

import pytest
from sqlalchemy import func, select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.catalog.models import Credential
from portal.extensions import db
from portal.submissions import services as submissions
from portal.submissions.models import State, Submission, Version

DEMO_LINES = [
    "Demo accounts (password for all: demo-password)",
    "  educator@example.org     educator: has earned Foundations; can submit the District Plan",
    "  newcomer@example.org     educator: has earned nothing yet",
    "  revising@example.org     educator: got Not yet on Identifying Challenges; can revise",
    "  reviewer@example.org     reviewer: has submissions to score in the review queue",
    "  reviewer2@example.org    reviewer: a second reviewer",
    "  staff@example.org        staff, reviewer: runs the program",
]
DEMO_ROLES = {
    "educator@example.org": ["educator"],
    "newcomer@example.org": ["educator"],
    "revising@example.org": ["educator"],
    "reviewer@example.org": ["reviewer"],
    "reviewer2@example.org": ["reviewer"],
    "staff@example.org": ["reviewer", "staff"],
}


def credential(slug: str) -> Credential:
    return db.session.scalar(select(Credential).where(Credential.slug == slug))


def submission_rows(email: str | None = None) -> list[tuple[str, str, int, str]]:
    """(educator email, credential slug, version number, state) of every submission version."""
    query = (
        select(User.email, Credential.slug, Version.number, Version.state)
        .select_from(Submission)
        .join(User, Submission.educator_id == User.id)
        .join(Credential, Submission.credential_id == Credential.id)
        .join(Version, Version.submission_id == Submission.id)
        .order_by(Submission.id, Version.number)
    )
    if email:
        query = query.where(User.email == email)
    return [tuple(row) for row in db.session.execute(query)]


def row_counts() -> dict[str, int]:
    """Rows in every table but the audit log (each load of the catalog is audited, by design)."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name != "audit_events"
    }


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_demo_on_an_empty_schema_prints_the_demo_accounts(runner):
    assert db.session.scalar(select(func.count()).select_from(User)) == 0

    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert [line for line in result.stdout.splitlines() if line] == DEMO_LINES
    db.session.expire_all()
    roles = {u.email: u.roles for u in db.session.scalars(select(User)) if u.email in DEMO_ROLES}
    assert roles == DEMO_ROLES
    assert accounts.authenticate("staff@example.org", "demo-password").email == "staff@example.org"


def test_demo_educator_has_earned_foundations_and_may_start_the_district_plan(runner):
    runner.invoke(args=["demo"])
    db.session.expire_all()
    educator = accounts.find_user_by_email("educator@example.org")

    assert submission_rows("educator@example.org") == [("educator@example.org", "foundations", 1, State.EARNED)]
    assert submissions.earned_credential_ids(educator) == {credential("foundations").id}
    assert submissions.missing_prerequisites(educator, credential("district-plan")) == []


def test_demo_newcomer_may_not_start_the_district_plan(runner):
    runner.invoke(args=["demo"])
    db.session.expire_all()
    newcomer = accounts.find_user_by_email("newcomer@example.org")

    assert submission_rows("newcomer@example.org") == []
    assert submissions.earned_credential_ids(newcomer) == set()
    assert submissions.missing_prerequisites(newcomer, credential("district-plan")) == [credential("foundations")]
    with pytest.raises(submissions.SubmissionError, match="Foundations of Digital Equity"):
        submissions.start_submission(educator=newcomer, credential=credential("district-plan"))


def test_demo_twice_creates_no_duplicates(runner):
    first = runner.invoke(args=["demo"])
    db.session.remove()  # the second run starts from the database, as a new process would
    emails, rows, counts = (
        db.session.scalars(select(User.email).order_by(User.id)).all(), submission_rows(), row_counts()
    )
    db.session.remove()

    second = runner.invoke(args=["demo"])

    assert second.exit_code == 0, second.output
    assert second.stdout == first.stdout
    assert db.session.scalars(select(User.email).order_by(User.id)).all() == emails
    assert len(emails) == len(set(emails))
    assert submission_rows() == rows
    assert row_counts() == counts
