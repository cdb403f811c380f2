"""Case work beyond records: pauses, delegations, colour proposals, report reviews."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, Enum, ForeignKey, String
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
