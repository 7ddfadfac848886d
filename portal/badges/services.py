"""Issuing, sharing, revoking and verifying Open Badges 3.0 credentials.

Every state change of an issued credential happens here. Services flush; the caller commits, so a credential
is issued in the same transaction as the decision that earns it.
"""

import json
import secrets
import uuid as uuid_module
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased

from portal import audit, cache
from portal.audit import utcnow
from portal.badges import keys, links, proof
from portal.badges.documents import credential_document, stack_document, xsd_datetime
from portal.badges.models import STATUS_LIST_SIZE, IssuedCredential, IssuerKey, Kind
from portal.badges.status import bit_is_set, current_bits
from portal.badges.verification import Verification, check_document
from portal.catalog.models import Credential
from portal.extensions import db
from portal.notifications import services as notifications
from portal.submissions.models import State, Submission, Version

__all__ = [
    "BadgeError", "EarnedCounts", "Verification", "earned_count", "earned_counts", "issue_for_version",
    "issue_missing", "revoke_credential", "set_public", "verify_document",
]


EARNED = "earned"  # the cache name issuing and revoking bump
_earned_cache = cache.ProcessCache(EARNED, max_entries=1)


class BadgeError(Exception):
    """An action this issued credential does not allow; the message is for the person who tried."""


def _free_status_index() -> int:
    """A random index no credential holds yet. The list is large, so the first draw is nearly always free."""
    for _ in range(1000):
        index = secrets.randbelow(STATUS_LIST_SIZE)
        if db.session.scalar(_INDEX_TAKEN, {"index": index}) is None:
            return index
    raise BadgeError("The status list is full: no free index was found.")


_INDEX_TAKEN = select(IssuedCredential.id).where(IssuedCredential.status_index == bindparam("index"))


def _sign_and_store(row: IssuedCredential, document: dict) -> IssuedCredential:
    key = keys.signing_key()
    signed = proof.sign(
        document, private_key=key.private_key, verification_method=links.verification_method(key.key.key_id),
        created=xsd_datetime(row.issued_at),
    )
    row.document = json.dumps(signed, ensure_ascii=False, indent=2)
    db.session.add(row)
    db.session.flush()
    cache.changed(EARNED)
    audit.record("badge.issue", subject=row, earner=row.earner_id, kind=row.kind, uuid=row.uuid)
    return row


def _new_row(status_index: int | None = None, **values) -> IssuedCredential:
    return IssuedCredential(
        uuid=str(uuid_module.uuid4()),
        status_index=_free_status_index() if status_index is None else status_index,
        share_token=secrets.token_urlsafe(32), issued_at=utcnow(), **values,
    )


# What issuing needs to know about the earner, in one statement: each credential of the stack with the earner's
# credential row for it (if any), whether they hold the stack's certificate, and whether a drawn status index is
# taken. The ids are set on the new rows directly: no relationship is loaded for them.
_credential_row = aliased(IssuedCredential, name="held")
_STANDING = (
    select(
        Credential.id, _credential_row.id.label("issued_id"), _credential_row.revoked_at,
        select(IssuedCredential.id).where(
            IssuedCredential.earner_id == bindparam("earner_id"), IssuedCredential.stack_id == bindparam("stack_id"),
            IssuedCredential.kind == Kind.STACK,
        ).exists().label("has_stack"),
        select(IssuedCredential.id).where(IssuedCredential.status_index == bindparam("index")).exists()
        .label("index_taken"),
    )
    .outerjoin(_credential_row, and_(
        _credential_row.credential_id == Credential.id, _credential_row.earner_id == bindparam("earner_id"),
        _credential_row.kind == Kind.CREDENTIAL,
    ))
    .where(Credential.stack_id == bindparam("stack_id"))
    .order_by(Credential.position, Credential.id)
)


def issue_for_version(*, version: Version) -> IssuedCredential | None:
    """Issue the signed credential for an earned version (None when the version is not earned, or the earner
    already holds this credential), and then the stack's certificate when the earner now holds every
    credential of the stack. Call it in the transaction that records the decision."""
    if version.state != State.EARNED:
        return None
    submission = version.submission
    credential = submission.credential
    index = secrets.randbelow(STATUS_LIST_SIZE)
    standing = db.session.execute(
        _STANDING, {"earner_id": submission.educator_id, "stack_id": credential.stack_id, "index": index}
    ).all()
    if any(row.id == credential.id and row.issued_id is not None for row in standing):
        return None
    earner = submission.educator
    row = _new_row(
        status_index=None if standing and standing[0].index_taken else index, earner_id=earner.id,
        credential_id=credential.id, stack_id=credential.stack_id, version_id=version.id, kind=Kind.CREDENTIAL,
    )
    document = credential_document(
        uuid=row.uuid, earner=earner, credential=credential,
        parts=version.requirements.parts, valid_from=version.decided_at or row.issued_at,
        status_index=row.status_index, salt=secrets.token_hex(16),
    )
    _sign_and_store(row, document)
    completes = standing and not standing[0].has_stack and all(
        r.id == credential.id or (r.issued_id is not None and r.revoked_at is None) for r in standing
    )
    if completes:
        row.completed_stack = _issue_stack(earner, credential.stack)  # tell_earned names it
    return row


def _issue_stack(earner, stack) -> IssuedCredential:
    row = _new_row(earner_id=earner.id, stack_id=stack.id, kind=Kind.STACK)
    credentials = list(stack.credentials)
    document = stack_document(
        uuid=row.uuid, earner=earner, stack=stack, credentials=credentials, valid_from=row.issued_at,
        status_index=row.status_index, salt=secrets.token_hex(16),
    )
    return _sign_and_store(row, document)


def issue_missing() -> int:
    """Issue every earned credential that has none yet (installations older than issuing, the demo data).
    Returns how many credentials were issued, stack certificates included."""
    before = db.session.scalar(select(func.count(IssuedCredential.id)))
    versions = db.session.scalars(
        select(Version).join(Submission).where(Version.state == State.EARNED).order_by(Version.decided_at, Version.id)
    )
    for version in list(versions):
        issue_for_version(version=version)
    return db.session.scalar(select(func.count(IssuedCredential.id))) - before


def revoke_credential(*, actor, issued: IssuedCredential, reason: str) -> None:
    """Revoke at once: the status list flips this credential's bit on its next request. Audited; the
    earner gets a notice and an e-mail. Who may revoke is the view's check (staff only)."""
    if issued.is_revoked:
        raise BadgeError("This credential was already revoked.")
    issued.revoked_at, issued.revoked_reason, issued.revoked_by = utcnow(), reason.strip(), actor
    db.session.flush()
    cache.changed(EARNED)
    audit.record("badge.revoke", actor=actor, subject=issued, uuid=issued.uuid, reason=issued.revoked_reason)
    because = f" The reason given: {issued.revoked_reason}" if issued.revoked_reason else ""
    notifications.notify(
        user=issued.earner,
        text=f"Your credential “{issued.title}” was revoked.{because}",
        link=_earner_link(issued),
        email_subject=f"Credential revoked: {issued.title}",
        email_body=(
            f"Your credential “{issued.title}” was revoked by the program staff.{because}\n\n"
            "Anyone who checks it now sees it as revoked. Contact the program staff with any questions."
        ),
        kind="badge.revoked",
    )


def _earner_link(issued: IssuedCredential) -> str:
    if issued.version is not None:
        return f"/submissions/{issued.version.submission_id}/versions/{issued.version.number}"
    return f"/stacks/{issued.stack.slug}"


def set_public(*, earner, issued: IssuedCredential, public: bool) -> None:
    """Show or hide the credential's public page. Only its earner may; audited."""
    if issued.earner_id != earner.id:
        raise BadgeError("Only the person who earned this credential can share it.")
    if issued.is_public == public:
        return
    issued.is_public = public
    db.session.flush()
    audit.record("badge.share" if public else "badge.hide", actor=earner, subject=issued, uuid=issued.uuid)


def earned_count(*, credential_id: int | None = None, stack_id: int | None = None) -> int:
    """How many people hold a credential (credential_id), or a stack's certificate (stack_id), not revoked."""
    query = select(func.count(IssuedCredential.id)).where(IssuedCredential.revoked_at.is_(None))
    if credential_id is not None:
        query = query.where(IssuedCredential.credential_id == credential_id)
    if stack_id is not None:
        query = query.where(IssuedCredential.stack_id == stack_id, IssuedCredential.kind == Kind.STACK)
    return db.session.scalar(query) or 0


@dataclass(frozen=True)
class EarnedCounts:
    """How many people hold each credential and each stack's certificate, not revoked: earned_count for all."""

    by_credential: MappingProxyType
    by_stack: MappingProxyType

    def credential(self, credential_id: int) -> int:
        return self.by_credential.get(credential_id, 0)

    def stack(self, stack_id: int) -> int:
        return self.by_stack.get(stack_id, 0)


def earned_counts() -> EarnedCounts:
    """Every count of earned_count from one grouped query, kept per process until a credential is issued or
    revoked (the catalog pages show them to every visitor)."""
    return _earned_cache.get("all", _count_earned)


def _count_earned() -> EarnedCounts:
    rows = db.session.execute(
        select(IssuedCredential.kind, IssuedCredential.credential_id, IssuedCredential.stack_id, func.count())
        .where(IssuedCredential.revoked_at.is_(None))
        .group_by(IssuedCredential.kind, IssuedCredential.credential_id, IssuedCredential.stack_id)
    ).all()
    by_credential: dict[int, int] = {}
    by_stack: dict[int, int] = {}
    for kind, credential_id, stack_id, count in rows:
        if credential_id is not None:
            by_credential[credential_id] = by_credential.get(credential_id, 0) + count
        if kind == Kind.STACK:
            by_stack[stack_id] = by_stack.get(stack_id, 0) + count
    return EarnedCounts(MappingProxyType(by_credential), MappingProxyType(by_stack))


def verify_document(document: dict) -> Verification:
    """Check a credential file against the portal's published keys (active and retired) and its status list;
    never the network. The result says in plain words what is wrong, if anything."""
    published = {key.key_id: key for key in db.session.scalars(select(IssuerKey))}
    bits = current_bits()  # the revocation list's bits, read as the served list is built
    return check_document(
        document,
        did=links.issuer_did(),
        keys={key_id: keys.decode_public(key.public_key_multibase) for key_id, key in published.items()},
        status_list_url=links.status_list_url(),
        is_revoked_index=lambda index: bit_is_set(bits, index),
        find_issued=_find_by_id,
    )


def _find_by_id(credential_id) -> IssuedCredential | None:
    prefix = "urn:uuid:"
    if not isinstance(credential_id, str) or not credential_id.startswith(prefix) or len(credential_id) > 45:
        return None
    return db.session.scalar(select(IssuedCredential).where(IssuedCredential.uuid == credential_id[len(prefix):]))
