"""Workers, the people under management, their care teams, families and invites."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, validate_strings=True)


class Role(StrEnum):
    """A staff member's job; decides menus and rights (see models.access)."""

    grid_worker = "grid_worker"  # 网格员
    cadre = "cadre"  # 社区专干
    police = "police"  # 社区民警
    medical = "medical"  # 医务工作者
    psychologist = "psychologist"  # 心理咨询师
    disability_assistant = "disability_assistant"  # 助残员
    supervisor = "supervisor"  # 综治办/禁毒办
    admin = "admin"


class Status(StrEnum):
    community_detox = "community_detox"  # 社区戒毒
    community_rehab = "community_rehab"  # 社区康复
    compulsory_isolation = "compulsory_isolation"  # 强制隔离戒毒
    released = "released"  # 解除: the programme completed; the case is closed and read-only
    moved_out = "moved_out"
    deceased = "deceased"
    lost_contact = "lost_contact"  # 失联: the worker cannot reach the person; police and cadre alerted


ACTIVE_STATUSES = (Status.community_detox, Status.community_rehab)
# A closed case is read-only: its card stays, no form files anything new for it.
CLOSED_STATUSES = (Status.released, Status.deceased, Status.moved_out)


class Colour(StrEnum):
    """Risk class (分类管理), highest first."""

    red = "red"
    orange = "orange"
    white = "white"
    blue = "blue"


class CaseRole(StrEnum):
    """A worker's part in one person's care team."""

    responsible = "responsible"  # the responsible grid worker
    cadre = "cadre"
    police = "police"
    medical = "medical"
    psychologist = "psychologist"
    disability_assistant = "disability_assistant"
    member = "member"


class Worker(Base):
    """A staff member (网格员, 专干, 民警, ...)."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    role: Mapped[Role] = mapped_column(_enum(Role))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    work_phone: Mapped[str | None] = mapped_column(String(30))
    office_hours: Mapped[str | None] = mapped_column(String(60))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_time: Mapped[str | None] = mapped_column(String(5), doc="HH:MM local; None: the default")


class Person(Base):
    """A person in community detox or rehabilitation (戒毒康复人员). Sensitive fields are ciphertext."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    initials: Mapped[str] = mapped_column(String(20), default="", doc="pinyin initials for search")
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    status: Mapped[Status] = mapped_column(_enum(Status))
    colour: Mapped[Colour] = mapped_column(_enum(Colour))
    registered_on: Mapped[date | None] = mapped_column(Date)
    agreement_signed_on: Mapped[date | None] = mapped_column(Date)
    programme_start: Mapped[date | None] = mapped_column(Date)
    programme_end: Mapped[date | None] = mapped_column(Date)
    release_date: Mapped[date | None] = mapped_column(Date, doc="expected release from isolation")
    schedule_override: Mapped[str | None] = mapped_column(Text, doc="per-person rules, TOML")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_persons_area_status", "area_id", "status"),)


class ColourChange(Base):
    """One change of a person's risk colour: kept forever."""

    __tablename__ = "colour_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_colour: Mapped[Colour | None] = mapped_column(_enum(Colour))
    to_colour: Mapped[Colour] = mapped_column(_enum(Colour))
    reason: Mapped[str] = mapped_column(String(200))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))

    __table_args__ = (Index("ix_colour_changes_changed_at", "changed_at"),)


class CareAssignment(Base):
    """A worker on a person's care team, with their part in it."""

    __tablename__ = "care_assignments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    case_role: Mapped[CaseRole] = mapped_column(_enum(CaseRole))

    __table_args__ = (UniqueConstraint("person_id", "worker_id", "case_role"),)


class FamilyMember(Base):
    """A relative of one person, who may link a Telegram account (家属)."""

    __tablename__ = "family_members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    relation: Mapped[str] = mapped_column(String(30))
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    consented_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, doc="when they agreed to the family channel's privacy notice (同意); NULL: not yet"
    )
    appointment_reminders: Mapped[bool] = mapped_column(
        Boolean, default=False, doc="they asked to be reminded of the person's meetings with the worker"
    )


class InviteKind(StrEnum):
    worker = "worker"
    family = "family"


class Invite(Base):
    """A one-time, expiring code that links a Telegram account; only its hash is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[InviteKind] = mapped_column(_enum(InviteKind))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    family_member_id: Mapped[int | None] = mapped_column(ForeignKey("family_members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(60), doc="actor reference, e.g. 'cli' or 'worker:12'")
