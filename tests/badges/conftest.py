"""Fixtures for issued credentials: earning through the real review flow, the independent verifier, staff,
and issued credentials as bare rows (for lists, filters, exports and counts, no signing)."""

import json
import os
import secrets
import shutil
import subprocess
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.audit import utcnow
from portal.badges import services as badges
from portal.badges.models import STATUS_LIST_SIZE, IssuedCredential, Kind
from portal.catalog.models import Stack
from portal.extensions import db
from portal.reviews import services as reviews
from portal.reviews.models import Assignment
from portal.submissions.models import State

VERIFIER = Path(__file__).parent / "verifier"


@pytest.fixture
def reviewer(make_user, stack):
    user = make_user(name="Riley Reviewer", roles=("reviewer",), organization="Lakeview Charter Network")
    profile = reviews.ensure_profile(user)
    profile.capacity = 50
    profile.stacks = list(db.session.scalars(select(Stack)))
    db.session.commit()
    return user


@pytest.fixture
def earn(make_submission, reviewer):
    """Earn a credential the way the portal does: submit, route, the reviewer confirms Yes on every part.
    Returns the submission; the decision (and the issued credential) are committed."""

    def earn_one(educator, slug="foundations"):
        submission = make_submission(educator=educator, slug=slug, state=State.SUBMITTED)
        version = submission.current_version
        reviews.route_submitted(version, actor=educator)
        db.session.commit()
        assignment = db.session.scalar(select(Assignment).where(Assignment.version_id == version.id))
        entries = {part.key: ("yes", "") for part in version.requirements.parts}
        reviews.confirm_review(reviewer=assignment.reviewer, assignment=assignment, entries=entries)
        db.session.commit()
        return submission

    return earn_one


def issued_for(submission) -> IssuedCredential | None:
    return db.session.scalar(select(IssuedCredential).where(
        IssuedCredential.earner_id == submission.educator_id,
        IssuedCredential.credential_id == submission.credential_id,
    ))


@pytest.fixture(scope="session")
def node_verifier():
    """Installs the verifier's locked npm packages once. Skipped without npm, except in CI, where it must run."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the independent verifier, but node or npm is missing.")
        pytest.skip("node and npm are needed for the independent verifier")
    installed = VERIFIER / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < (VERIFIER / "package-lock.json").stat().st_mtime:
        # Fixed arguments and our own folder: nothing here comes from outside.
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=VERIFIER, check=True, capture_output=True)  # noqa: S603
    return node


@pytest.fixture
def verify_independently(node_verifier, client, tmp_path):
    """Verify documents with Digital Bazaar's verifier, giving it the DID document and status list that the
    portal serves right now. Returns one {"verified", "revoked", "error"} per document."""

    def run(documents, check_status=False):
        did_document = client.get("/.well-known/did.json").get_json()
        status_list = client.get("/badges/status/revocation").get_json()
        path = tmp_path / "verifier-input.json"
        path.write_text(json.dumps({
            "didDocument": did_document, "statusList": status_list, "credentials": documents,
            "checkStatus": check_status,
        }))
        done = subprocess.run(  # noqa: S603 -- our script, and a file this test wrote
            [node_verifier, "verify.js", str(path)], cwd=VERIFIER, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run


@pytest.fixture
def staff(make_user):
    return make_user(name="Morgan Lee", roles=("staff",), organization="CoSN Program Office")


@pytest.fixture
def issued_row(app, credential):
    """issued_row(earner, slug="foundations", *, stack=False, ...) -> an IssuedCredential inserted as it stands: its
    document is not a signed credential, so only lists, filters, exports and counts may use it."""
    indexes = iter(range(STATUS_LIST_SIZE - 1, 0, -7))

    def make(earner, slug="foundations", *, stack=False, issued_at: datetime | None = None, revoked_at=None,
             reason="", public=False, revoked_by=None):
        cred = credential(slug)
        row = IssuedCredential(
            uuid=str(uuid.uuid4()), earner_id=earner.id, credential_id=None if stack else cred.id,
            stack_id=cred.stack_id, kind=Kind.STACK if stack else Kind.CREDENTIAL, issued_at=issued_at or utcnow(),
            document="{}", status_index=next(indexes), share_token=secrets.token_urlsafe(24), is_public=public,
            revoked_at=revoked_at, revoked_reason=reason, revoked_by_id=getattr(revoked_by, "id", None),
        )
        db.session.add(row)
        db.session.commit()
        return row

    return make


@pytest.fixture
def issue(earn):
    """issue(educator, slug="foundations", public=False) -> the IssuedCredential the portal signed when a reviewer
    marked every part Yes; public=True also turns its public page on, as the earner's switch does."""

    def make(educator, slug="foundations", public=False):
        issued = issued_for(earn(educator, slug))
        assert issued is not None, "earning a credential issues it in the same transaction"
        if public:
            badges.set_public(earner=educator, issued=issued, public=True)
            db.session.commit()
        return issued

    return make
