"""Meeting reminders for families (面谈提醒): who asked for them, and who is owed one this morning.

A linked family member who agreed to the privacy notice and turned reminders on is told, on the
day, only that the worker meets their relative at HH:MM: no place, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.audit import audit
from models.casework import Appointment
from models.people import FamilyMember
from models.services.appointments.booking import day_bounds
from models.services.identity import Identity


@dataclass(frozen=True)
class FamilyReminder:
    """A family member to remind that the worker meets their relative today at `starts_at`."""

    appointment_id: int
    family_member_id: int
    chat_id: int
    starts_at: datetime


def family_reminders_due(session: Session, *, now: datetime, tz: ZoneInfo) -> list[FamilyReminder]:
    """Today's appointments still ahead, for each linked, consented family member who asked."""
    _start, end = day_bounds(now.astimezone(tz).date(), tz)
    rows = session.execute(
        select(Appointment.id, FamilyMember.id, FamilyMember.telegram_user_id, Appointment.starts_at)
        .join(FamilyMember, FamilyMember.person_id == Appointment.person_id)
        .where(
            Appointment.cancelled_at.is_(None),
            Appointment.starts_at > now,
            Appointment.starts_at < end,
            FamilyMember.active.is_(True),
            FamilyMember.telegram_user_id.is_not(None),
            FamilyMember.consented_at.is_not(None),
            FamilyMember.appointment_reminders.is_(True),
        )
        .order_by(Appointment.starts_at, Appointment.id, FamilyMember.id)
    )
    return [FamilyReminder(a, m, chat, at) for a, m, chat, at in rows if chat is not None]


def family_reminders_on(session: Session, who: Identity) -> bool:
    """Has the caller (a family member) asked for meeting reminders?"""
    if who.family_member_id is None:
        return False
    return bool(
        session.scalar(
            select(FamilyMember.appointment_reminders).where(FamilyMember.id == who.family_member_id)
        )
    )


def set_family_reminders(session: Session, who: Identity, on: bool, *, now: datetime) -> bool:
    """Turn the caller's meeting reminders on or off (audited); False if the caller is no family member."""
    if who.family_member_id is None or who.person_id is None:
        return False
    session.execute(
        update(FamilyMember).where(FamilyMember.id == who.family_member_id).values(appointment_reminders=on)
    )
    audit(
        session,
        who.actor,
        "update",
        "family_member",
        who.family_member_id,
        at=now,
        person_id=who.person_id,
        detail=f"appointment_reminders={'on' if on else 'off'}",
    )
    return True
