"""The demo data ends with its earned credentials issued, so a newcomer's `make run` shows one."""

from sqlalchemy import select

from portal.accounts.models import User
from portal.badges import services
from portal.badges.models import IssuedCredential
from portal.catalog.models import Credential
from portal.extensions import db


def test_demo_educators_earned_foundations_is_issued_and_valid(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    issued = db.session.scalar(
        select(IssuedCredential).join(User, User.id == IssuedCredential.earner_id)
        .join(Credential, Credential.id == IssuedCredential.credential_id)
        .where(User.email == "educator@example.org", Credential.slug == "foundations")
    )
    assert issued is not None and issued.kind == "credential"
    assert services.verify_document(issued.document_json).status == "valid"
    count = db.session.scalar(select(db.func.count(IssuedCredential.id)))
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert db.session.scalar(select(db.func.count(IssuedCredential.id))) == count
    assert "Issued 0 credential(s)." in runner.invoke(args=["badges", "issue-missing"]).output
