"""What each person owes, kept: the items of `models.schedule.obligations_on` for one day, per person.

The rules are stated once, in Python (models.schedule). The services keep these rows true
(models.services.obligations.state): a record, a colour, a pause, a status or a person's own rules
written rewrites the person's items in the same unit of work, and the passing of days is applied
by a job. Readers (/my, /today, the card, the morning, the ladder, digests, exports) read them with
indexed queries and read the state (done, due, overdue) off the date.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ObligationItem(Base):
    """One period of one obligation of one person: required, done, due by (no state: the date says)."""

    __tablename__ = "obligation_items"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    obligation: Mapped[str] = mapped_column(String(30), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    period_end: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    required: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer)
    colour: Mapped[str] = mapped_column(String(10), doc="the colour the period's rule was chosen for")


class ObligationStamp(Base):
    """For which day a person's items were worked out, until which day they hold, and on what rules.

    Items hold from `computed_for` until the day before `valid_until` (models.schedule.stable_until),
    under the locality's rules, calendar and time zone whose fingerprint is `basis`; outside that
    they are worked out again. A missing stamp means never worked out (a bulk import, demo data).
    `first_open_due` is written with the items (None: nothing open), so who is overdue, since when,
    is one row per person, not their items grouped (the digest's people overdue and those named).
    """

    __tablename__ = "obligation_stamps"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    computed_for: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    basis: Mapped[str] = mapped_column(String(16))
    first_open_due: Mapped[date | None] = mapped_column(
        Date, doc="the earliest due date of the items not done: overdue on every day after it"
    )

    __table_args__ = (Index("ix_obligation_stamps_valid_until", "valid_until"),)
