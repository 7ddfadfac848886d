"""Cohorts of district teams, their milestones and members, self-reported fields, invitations and roster imports."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.audit import utcnow
from portal.catalog.models import Credential, Stack
from portal.extensions import db

# The credentials a cohort works toward: the whole stack is stored as all of its credentials,
# so every dashboard query joins one table instead of choosing between "subset" and "stack".
cohort_credentials = Table(
    "cohort_credentials",
    db.metadata,
    Column("cohort_id", ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    Column("credential_id", ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
)

milestone_credentials = Table(
    "cohort_milestone_credentials",
    db.metadata,
    Column("milestone_id", ForeignKey("cohort_milestones.id", ondelete="CASCADE"), primary_key=True),
    Column("credential_id", ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
)


class Cohort(db.Model):
    __tablename__ = "cohorts"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    program: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    stack_id: Mapped[int] = mapped_column(ForeignKey("stacks.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    stack: Mapped[Stack] = relationship(lazy="joined")
    credentials: Mapped[list[Credential]] = relationship(
        secondary=cohort_credentials, order_by="Credential.position", lazy="selectin"
    )
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="cohort", order_by=lambda: [Milestone.due_on, Milestone.id], cascade="all, delete-orphan",
        lazy="selectin",
    )


class Milestone(db.Model):
    """A set of credentials the cohort's members should have earned by a date ("credentials 1-2 by June 30")."""

    __tablename__ = "cohort_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]

    cohort: Mapped[Cohort] = relationship(back_populates="milestones")
    credentials: Mapped[list[Credential]] = relationship(
        secondary=milestone_credentials, order_by="Credential.position", lazy="selectin"
    )


class Membership(db.Model):
    """A person in a cohort. Their organization is the one on their account; the role is their job in the district."""

    __tablename__ = "cohort_memberships"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id", name="uq_cohort_memberships_cohort_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    district_role: Mapped[str] = mapped_column(String(200), default="")
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    user: Mapped[User] = relationship(lazy="joined")


class ProfileField(db.Model):
    """An optional self-reported field (school level, locale ...). Answers are used for aggregate reporting only."""

    __tablename__ = "profile_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    hint: Mapped[str] = mapped_column(Text, default="")
    choices: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)


class ProfileAnswer(db.Model):
    __tablename__ = "profile_answers"
    __table_args__ = (
        UniqueConstraint("user_id", "field_id", name="uq_profile_answers_user_field"),
        Index("ix_profile_answers_field_value", "field_id", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    field_id: Mapped[int] = mapped_column(ForeignKey("profile_fields.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    field: Mapped[ProfileField] = relationship(lazy="joined")


class Invitation(db.Model):
    """A one-time link to set a password. Only the SHA-256 of the token is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class RosterImport(db.Model):
    """An uploaded roster between preview and confirm. The confirm re-reads exactly these bytes."""

    __tablename__ = "roster_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    csv_text: Mapped[str] = mapped_column(Text)
    create_organizations: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
