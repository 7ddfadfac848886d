"""Badge fixtures: staff, issued credentials as bare rows (for lists and counts, no signing), and credentials
earned and issued through the real services (for anything that verifies them)."""

import secrets
import uuid
from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.audit import utcnow
from portal.badges import services as badges
from portal.badges.models import STATUS_LIST_SIZE, IssuedCredential, Kind
from portal.extensions import db
from portal.submissions.models import State


@pytest.fixture
def staff(make_user):
    return make_user(name="Morgan Lee", roles=("staff",), organization="CoSN Program Office")


@pytest.fixture
def issued_row(app, credential):
    """issued_row(earner, slug=None, *, stack=False, ...) -> an IssuedCredential inserted as it stands: its document
    is not a signed credential, so only lists, filters, exports and counts may use it."""
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
def earn(make_submission):
    """earn(educator, slug="foundations") -> the IssuedCredential the portal issued when every part was marked Yes."""

    def make(educator, slug="foundations"):
        submission = make_submission(educator=educator, slug=slug, state=State.EARNED)
        query = select(IssuedCredential).where(
            IssuedCredential.earner_id == educator.id, IssuedCredential.credential_id == submission.credential_id
        )
        issued = db.session.scalar(query)
        assert issued is not None, "earning a credential issues it in the same transaction"
        return issued

    return make


@pytest.fixture
def share(app):
    def make(issued, public=True):
        badges.set_public(earner=issued.earner, issued=issued, public=public)
        db.session.commit()
        return issued

    return make


def issued_total() -> int:
    return db.session.scalar(select(func.count()).select_from(IssuedCredential))
