"""Reviewers, their assignments, and the Yes / Not yet result they record for every part."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.audit import utcnow
from portal.catalog.models import Stack
from portal.extensions import db
from portal.submissions.models import Version

reviewer_stacks = Table(
    "reviewer_stacks",
    db.metadata,
    Column("reviewer_id", ForeignKey("reviewer_profiles.user_id", ondelete="CASCADE"), primary_key=True),
    Column("stack_id", ForeignKey("stacks.id", ondelete="CASCADE"), primary_key=True),
)


class ReviewerProfile(db.Model):
    """A person's availability as a reviewer. Their organization is the one on their account."""

    __tablename__ = "reviewer_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    capacity: Mapped[int] = mapped_column(default=5)
    last_assigned_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")
    stacks: Mapped[list[Stack]] = relationship(secondary=reviewer_stacks)


class AssignmentState(StrEnum):
    OPEN = "open"  # the reviewer owes a review
    DONE = "done"  # the reviewer confirmed their review
    DECLINED = "declined"  # the reviewer gave it back (conflict, no time)
    RELEASED = "released"  # staff reassigned it, or the educator withdrew


class Assignment(db.Model):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("version_id", "reviewer_id", name="uq_assignments_version_reviewer"),
        Index("ix_assignments_reviewer_state", "reviewer_id", "state"),
        Index("ix_assignments_state_due", "state", "due_at"),
        # A reviewer's recently closed work, newest first, without reading all of it.
        Index("ix_assignments_reviewer_closed", "reviewer_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(12), default=AssignmentState.OPEN)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    overdue_notified_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # set exactly when the state leaves "open"
    decline_reason: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[Version] = relationship()
    reviewer: Mapped[User] = relationship()
    review: Mapped["Review | None"] = relationship(back_populates="assignment", uselist=False)

    @property
    def is_open(self) -> bool:
        return self.state == AssignmentState.OPEN


class Result(StrEnum):
    YES = "yes"
    NOT_YET = "not_yet"

    @property
    def label(self) -> str:
        return "Yes" if self is Result.YES else "Not yet"


class Review(db.Model):
    """One reviewer's (or an adjudicating staff member's) results for one version."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("version_id", "reviewer_id", name="uq_reviews_version_reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), unique=True)
    is_adjudication: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]

    assignment: Mapped[Assignment | None] = relationship(back_populates="review")
    reviewer: Mapped[User] = relationship()
    version: Mapped[Version] = relationship()
    results: Mapped[list["PartResult"]] = relationship(
        back_populates="review", cascade="all, delete-orphan", lazy="selectin", order_by="PartResult.id"
    )

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def result_for(self, part_key: str) -> "PartResult | None":
        return next((r for r in self.results if r.part_key == part_key), None)


class PartResult(db.Model):
    __tablename__ = "part_results"
    __table_args__ = (UniqueConstraint("review_id", "part_key", name="uq_part_results_review_part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    part_key: Mapped[str] = mapped_column(String(40), index=True)
    result: Mapped[str | None] = mapped_column(String(10))
    feedback: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="results")
