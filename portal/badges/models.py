"""Issued Open Badges 3.0 credentials and the issuer's signing keys."""

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.audit import utcnow
from portal.catalog.models import Credential, Stack
from portal.extensions import db
from portal.submissions.models import Version

# The status list holds this many entries (the Bitstring Status List minimum, so that one bit says nothing
# about who it belongs to); every issued credential draws a random free index below it.
STATUS_LIST_SIZE = 131072


class Kind(StrEnum):
    CREDENTIAL = "credential"
    STACK = "stack"


class IssuedCredential(db.Model):
    """One signed OpenBadgeCredential, kept exactly as issued. Its id is urn:uuid:<uuid>."""

    __tablename__ = "issued_credentials"
    __table_args__ = (
        CheckConstraint("kind IN ('credential', 'stack')", name="kind_known"),
        CheckConstraint("(kind = 'stack') = (credential_id IS NULL)", name="credential_unless_stack"),
        CheckConstraint(f"status_index >= 0 AND status_index < {STATUS_LIST_SIZE}", name="status_index_in_list"),
        # One credential row per earner and credential; one stack row per earner and stack. Partial unique
        # indexes, as both databases support them, so each rule holds without a second column.
        Index(
            "uq_issued_credentials_earner_credential", "earner_id", "credential_id", unique=True,
            sqlite_where=db.text("kind = 'credential'"), postgresql_where=db.text("kind = 'credential'"),
        ),
        Index(
            "uq_issued_credentials_earner_stack", "earner_id", "stack_id", unique=True,
            sqlite_where=db.text("kind = 'stack'"), postgresql_where=db.text("kind = 'stack'"),
        ),
        Index("ix_issued_credentials_credential_issued", "credential_id", "issued_at"),
        Index("ix_issued_credentials_stack_kind", "stack_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    earner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"))
    stack_id: Mapped[int] = mapped_column(ForeignKey("stacks.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("submission_versions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=Kind.CREDENTIAL)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The signed JSON exactly as issued: re-serializing would be a different document to a verifier.
    document: Mapped[str] = mapped_column(Text)
    status_index: Mapped[int] = mapped_column(unique=True)
    share_token: Mapped[str] = mapped_column(String(64), unique=True)
    is_public: Mapped[bool] = mapped_column(default=False, server_default=false())
    revoked_at: Mapped[datetime | None] = mapped_column(index=True)
    revoked_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    earner: Mapped[User] = relationship(foreign_keys=[earner_id])
    credential: Mapped[Credential | None] = relationship()
    stack: Mapped[Stack] = relationship()
    version: Mapped[Version | None] = relationship()
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    # Not stored: the stack's certificate that issuing this credential completed, set by issue_for_version so
    # the notices need not look for it.
    completed_stack = None

    @property
    def credential_url_id(self) -> str:
        return f"urn:uuid:{self.uuid}"

    @property
    def document_json(self) -> dict:
        return json.loads(self.document)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def title(self) -> str:
        return self.credential.title if self.credential is not None else self.stack.title


class IssuerKey(db.Model):
    """A published Ed25519 public key of the issuer. The private half lives outside the database
    (BADGE_KEY_FILE or BADGE_PRIVATE_KEY); a retired key stays published so what it signed still verifies."""

    __tablename__ = "issuer_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    public_key_multibase: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        return self.retired_at is None
