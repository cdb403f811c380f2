"""The family channel: relayed messages, urgent relapse alerts, anonymous tips."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime


class Direction(StrEnum):
    from_family = "from_family"
    to_family = "to_family"


class FamilyMessage(Base):
    """One relayed message between a family member and the responsible worker."""

    __tablename__ = "family_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    family_member_id: Mapped[int] = mapped_column(ForeignKey("family_members.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), index=True)
    direction: Mapped[Direction] = mapped_column(Enum(Direction, native_enum=False, length=12))
    kind: Mapped[str] = mapped_column(String(10), doc="text, photo, voice")
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, doc="for messages from the family")
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))

    __table_args__ = (Index("ix_family_messages_unanswered", "direction", "answered_at", "created_at"),)


class UrgentAlert(Base):
    """紧急情况: a family member's alert to worker, cadre and police; the first to acknowledge owns it."""

    __tablename__ = "urgent_alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    family_member_id: Mapped[int] = mapped_column(ForeignKey("family_members.id"))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The escalation job asks every minute for alerts neither taken nor escalated: this keeps that
    # a short index range however many alerts the years pile up.
    __table_args__ = (Index("ix_urgent_alerts_open", "acknowledged_at", "escalated_at", "created_at"),)


class Tip(Base):
    """举报涉毒线索: an anonymous tip to the police of an area; the tipster's identity is sealed."""

    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # Nullable only so the row has its id before the tipster is sealed to it (models.sealing).
    tipster_enc: Mapped[bytes | None] = mapped_column(LargeBinary, doc="sealed Telegram id, field 'tipster'")
    text: Mapped[str] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_to: Mapped[int | None] = mapped_column(BigInteger, doc="count of police reached")
    taken_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, doc="when police took it up (已受理)")
    taken_up_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
