"""Stacks of credentials and the versioned requirements of each credential."""

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.audit import utcnow
from portal.catalog.loader import PartSpec, part_from_dict
from portal.extensions import db

credential_prerequisites = Table(
    "credential_prerequisites",
    db.metadata,
    Column("credential_id", ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
    Column("prerequisite_id", ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
)


class Stack(db.Model):
    __tablename__ = "stacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(200))
    # The issuer's web address, the id of the creator Profile in Open Badges issued for this stack.
    issuer_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    summary: Mapped[str] = mapped_column(Text)
    blind_review: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    credentials: Mapped[list["Credential"]] = relationship(back_populates="stack", order_by="Credential.position")


class Credential(db.Model):
    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("stack_id", "slug", name="uq_credentials_stack_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stack_id: Mapped[int] = mapped_column(ForeignKey("stacks.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    key_method: Mapped[str] = mapped_column(Text)
    about: Mapped[str] = mapped_column(Text)
    earning: Mapped[str] = mapped_column(Text)
    is_sample: Mapped[bool] = mapped_column(default=False)
    sample_note: Mapped[str] = mapped_column(Text, default="")
    research: Mapped[list] = mapped_column(JSON, default=list)
    license: Mapped[str] = mapped_column(String(200), default="")

    stack: Mapped[Stack] = relationship(back_populates="credentials")
    prerequisites: Mapped[list["Credential"]] = relationship(
        secondary=credential_prerequisites,
        primaryjoin=id == credential_prerequisites.c.credential_id,
        secondaryjoin=id == credential_prerequisites.c.prerequisite_id,
        order_by="Credential.position",
    )
    requirement_versions: Mapped[list["Requirements"]] = relationship(
        back_populates="credential", order_by="Requirements.number.desc()"
    )

    @property
    def requirements(self) -> "Requirements":
        """The requirements new drafts are written against."""
        return self.requirement_versions[0]

    @property
    def number_in_stack(self) -> int:
        return self.position


class Requirements(db.Model):
    """One version of a credential's parts. Submissions keep the version they were written against."""

    __tablename__ = "requirements"
    __table_args__ = (UniqueConstraint("credential_id", "number", name="uq_requirements_credential_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), index=True)
    number: Mapped[int]
    parts_data: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    credential: Mapped[Credential] = relationship(back_populates="requirement_versions")

    @property
    def parts(self) -> list[PartSpec]:
        return [part_from_dict(data) for data in self.parts_data]

    def part(self, key: str) -> PartSpec:
        return next(p for p in self.parts if p.key == key)
