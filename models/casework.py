"""Case work beyond records: pauses, delegations, colour proposals, reviews, case changes, appointments."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime
from models.people import Colour


class Pause(Base):
    """A person's obligations stop accruing (hospital, detention, away) from start to end, inclusive."""

    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Delegation(Base):
    """A worker on leave hands their caseload to a colleague for a date range."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    from_worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    to_worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ColourProposal(Base):
    """An assessment's suggested colour change, waiting for a supervisor's or police officer's decision."""

    __tablename__ = "colour_proposals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"))
    proposed: Mapped[Colour] = mapped_column(Enum(Colour, native_enum=False, length=10))
    reason: Mapped[str] = mapped_column(String(200))
    proposed_by: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted: Mapped[bool | None] = mapped_column(Boolean)


class ReviewVerdict(StrEnum):
    correct = "correct"
    has_errors = "has_errors"


class Review(Base):
    """A supervisor's verdict on a report (CHT-style review); the latest one counts."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    verdict: Mapped[ReviewVerdict] = mapped_column(Enum(ReviewVerdict, native_enum=False, length=12))
    comment: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseChangeKind(StrEnum):
    """A step in a case's life (models.services.casework.life says what each one does)."""

    isolation = "isolation"  # 强制隔离戒毒: enters compulsory isolation (expected release date)
    release = "release"  # 出所: released from isolation; the registration deadline starts
    lost_contact = "lost_contact"  # 失联
    found = "found"  # 恢复联系: back in contact; the status before 失联 returns
    discharge = "discharge"  # 解除: programme completed; the case closes, read-only
    transfer = "transfer"  # 转出/转入: to another grid, accepted by its worker
    deceased = "deceased"  # 死亡
    agreement = "agreement"  # 签协议: the agreement signed, with its term
    file_complete = "file_complete"  # 建档: the case file is complete


class CaseChange(Base):
    """One proposed or made change in a case's life, with its date and reason; kept forever.

    A change someone else must confirm waits with `decided_at` NULL; `accepted` says how it was
    decided. Changes that need no confirmation are saved decided (by their author). The person card's
    timeline is these rows with colour changes and pauses.
    """

    __tablename__ = "case_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[CaseChangeKind] = mapped_column(Enum(CaseChangeKind, native_enum=False, length=20))
    effective_on: Mapped[date] = mapped_column(Date, doc="when it happened (or happens)")
    reason: Mapped[str | None] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(30), doc="the status before (set when applied)")
    to_status: Mapped[str | None] = mapped_column(String(30))
    from_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    to_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), doc="a transfer's receiving grid")
    expected_release: Mapped[date | None] = mapped_column(Date, doc="isolation: the expected release date")
    term_months: Mapped[int | None] = mapped_column(Integer, doc="agreement: its term")
    proposed_by: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (Index("ix_case_changes_open", "decided_at", "kind"),)


class Appointment(Base):
    """A booked meeting (约见) of a worker with a person: when and where; cancelled ones are kept."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    place: Mapped[str] = mapped_column(String(30), doc="home, office, station, other")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
