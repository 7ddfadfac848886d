"""Submissions, their versions and the files attached to them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.audit import utcnow
from portal.catalog.models import Credential, Requirements
from portal.extensions import db


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    EARNED = "earned"
    NOT_YET = "not_yet"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    State.DRAFT: "Draft",
    State.SUBMITTED: "Submitted",
    State.IN_REVIEW: "In review",
    State.EARNED: "Earned",
    State.NOT_YET: "Not yet",
    State.WITHDRAWN: "Withdrawn",
}
FINAL_STATES = (State.EARNED, State.NOT_YET)
_states = ", ".join(f"'{s}'" for s in State)
_final = ", ".join(f"'{s}'" for s in FINAL_STATES)


class Submission(db.Model):
    """An educator's work toward one credential, across all its versions."""

    __tablename__ = "submissions"
    __table_args__ = (
        # Reports start from people (a cohort's members) and look up their submissions of some credentials; with
        # the educator alone indexed, SQLite would start from the credentials and read all their submissions.
        Index("ix_submissions_educator_credential", "educator_id", "credential_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    educator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    educator: Mapped[User] = relationship()
    credential: Mapped[Credential] = relationship()
    versions: Mapped[list["Version"]] = relationship(
        back_populates="submission", order_by="Version.number", cascade="all, delete-orphan"
    )

    @property
    def current_version(self) -> "Version":
        return self.versions[-1]

    @property
    def state(self) -> State:
        return self.current_version.state


class Version(db.Model):
    """One round of a submission: written as a draft, then frozen on submit."""

    __tablename__ = "submission_versions"
    __table_args__ = (
        UniqueConstraint("submission_id", "number", name="uq_submission_versions_submission_number"),
        CheckConstraint(f"state IN ({_states})", name="state_known"),
        CheckConstraint(f"(state IN ({_final})) = (decided_at IS NOT NULL)", name="decided_when_final"),
        CheckConstraint(
            "state IN ('draft', 'withdrawn') OR submitted_at IS NOT NULL", name="submitted_when_past_draft"
        ),
        # Versions of one state, oldest submitted first: routing reads the few oldest waiting versions in this
        # order and stops, however many there are (the index of state alone made it read and sort them all).
        Index("ix_submission_versions_state_submitted", "state", "submitted_at", "id"),
        # Progress reports read these columns of many versions: from the index alone, never from the rows,
        # whose large answers would otherwise be read along.
        Index("ix_submission_versions_progress", "submission_id", "number", "state", "submitted_at", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    number: Mapped[int]
    requirements_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=State.DRAFT)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    # Bumped on every save; a save based on an older revision is a conflict, not an overwrite.
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]

    submission: Mapped[Submission] = relationship(back_populates="versions")
    requirements: Mapped[Requirements] = relationship(lazy="joined")
    artifacts: Mapped[list["Artifact"]] = relationship(
        back_populates="version", order_by="Artifact.id", cascade="all, delete-orphan"
    )

    @property
    def is_editable(self) -> bool:
        return self.state == State.DRAFT

    @property
    def is_withdrawable(self) -> bool:
        return self.state in (State.DRAFT, State.SUBMITTED)

    @property
    def state_label(self) -> str:
        return State(self.state).label

    def artifacts_for(self, part_key: str) -> list["Artifact"]:
        return [a for a in self.artifacts if a.part_key == part_key]


class Artifact(db.Model):
    """An uploaded file. The stored file is shared by the versions that carry it forward."""

    __tablename__ = "artifacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id", ondelete="CASCADE"), index=True)
    part_key: Mapped[str] = mapped_column(String(40))
    stored_name: Mapped[str] = mapped_column(String(64), index=True)
    # The reviewers' copy under blind review, without the author fields of the file's metadata (see blind.py),
    # stored beside the original. None for files uploaded before copies were made: one is made when served.
    blind_name: Mapped[str | None] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[Version] = relationship(back_populates="artifacts")
