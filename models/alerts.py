"""Every alert raised about a person, and whom of the roles it names nobody could be found for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime


class AlertLog(Base):
    """报警记录: one alert (a positive test, a family's urgent call, an escalation...) as routed.

    `unrouted` lists the roles (comma-separated `Role` values) nobody linked could be found for;
    empty once every role is reached. Unrouted alerts show in every ancestor supervisor's digest
    and in `gridcare alerts --unrouted` until then.
    """

    __tablename__ = "alert_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), doc="drug_test, visit, urgent, urgent_escalated ...")
    source_id: Mapped[int] = mapped_column(BigInteger, doc="the record or urgent alert it is about")
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notified: Mapped[int] = mapped_column(Integer, default=0)
    unrouted: Mapped[str] = mapped_column(String(100), default="")
    routed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, doc="when the last missing role was reached"
    )

    __table_args__ = (
        UniqueConstraint("kind", "source_id", name="uq_alert_log_kind_source"),
        Index("ix_alert_log_unrouted", "unrouted"),
    )
