"""What the reminders remember: which overdue item reached which rung of the ladder, for whom."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime


class OverdueNotice(Base):
    """One overdue item (person, obligation, period) told to one worker at one rung (worker, cadre).

    Kept as long as the item can be listed (a yearly assessment: over a year), so each rung is told
    once, and several items that reach a rung in one sweep go to the worker in one message.
    """

    __tablename__ = "overdue_notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    obligation: Mapped[str] = mapped_column(String(30))
    period_start: Mapped[date] = mapped_column(Date)
    step: Mapped[str] = mapped_column(String(10))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("person_id", "obligation", "period_start", "step", "worker_id"),
        Index("ix_overdue_notices_notified_at", "notified_at"),
    )
