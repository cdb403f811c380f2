"""Appointments (约见): the week's meeting booked from the person card, moved, re-placed, cancelled.

A worker books a slot of the next days (a few fixed times, local time); one open appointment per
person and worker, so booking again moves it. The place defaults to where the person was last
met by appointment, else home. Every change is checked against the access matrix
(Action.book_appointment) and audited; only the worker who booked it changes it. The morning list
shows the day's appointments; families who asked for it are reminded that morning
(models.services.appointments.family).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models.access import Action
from models.audit import audit
from models.casework import Appointment
from models.people import Person
from models.services.identity import Identity
from models.services.obligations.evaluate import local_midnight
from models.services.rights import may
from models.services.sql import one_of

SLOT_TIMES = (time(9, 0), time(10, 30), time(14, 30), time(16, 0))
SLOT_DAYS = 7  # today and the six days after
STAMP = "%Y%m%d%H%M"  # a slot in button data: its local date and time


class Place(StrEnum):
    home = "home"
    office = "office"
    station = "station"
    other = "other"


@dataclass(frozen=True)
class AppointmentView:
    """An appointment as chat shows it (the person by code and name)."""

    id: int
    person_id: int
    worker_id: int
    starts_at: datetime
    place: str
    code: str
    name: str
    cancelled: bool = False


@dataclass(frozen=True)
class Booked:
    appointment: AppointmentView
    moved: bool  # an open appointment of this person and worker was moved, not a new one made


class Change(StrEnum):
    done = "done"
    gone = "gone"  # cancelled already, or already past: nothing to change


# -- slots -------------------------------------------------------------------------------------


def slots(now: datetime, tz: ZoneInfo) -> list[datetime]:
    """The bookable slots (local, aware): the next SLOT_DAYS days' times, the past ones left out."""
    today = now.astimezone(tz).date()
    found = []
    for n in range(SLOT_DAYS):
        day = today + timedelta(days=n)
        for at in SLOT_TIMES:
            moment = datetime.combine(day, at, tzinfo=tz)
            if moment > now:
                found.append(moment)
    return found


def slot_at(stamp: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The slot a button names (`YYYYMMDDHHMM`, local), or None if it is junk, past or not offered."""
    if len(stamp) != 12 or not (stamp.isascii() and stamp.isdigit()):
        return None
    try:
        moment = datetime.strptime(stamp, STAMP).replace(tzinfo=tz)
    except ValueError:
        return None
    return moment if moment in slots(now, tz) else None


# -- booking and changing ----------------------------------------------------------------------


def _view(session: Session, appointment: Appointment) -> AppointmentView:
    code, name = session.execute(
        select(Person.code, Person.name).where(Person.id == appointment.person_id)
    ).one()
    return AppointmentView(
        appointment.id,
        appointment.person_id,
        appointment.worker_id,
        appointment.starts_at,
        appointment.place,
        code,
        name,
        appointment.cancelled_at is not None,
    )


def _last_place(session: Session, person_id: int) -> str:
    place = session.scalar(
        select(Appointment.place)
        .where(Appointment.person_id == person_id)
        .order_by(Appointment.created_at.desc(), Appointment.id.desc())
        .limit(1)
    )
    return place or Place.home.value


def _open(session: Session, person_id: int, worker_id: int, now: datetime) -> Appointment | None:
    return session.scalar(
        select(Appointment)
        .where(
            Appointment.person_id == person_id,
            Appointment.worker_id == worker_id,
            Appointment.cancelled_at.is_(None),
            Appointment.starts_at > now,
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )


def book(
    session: Session, who: Identity, person_id: int, starts_at: datetime, *, now: datetime, today: date
) -> Booked | None:
    """Book (or move) the caller's meeting with the person; None if not allowed or not in the future."""
    if who.worker_id is None or not may(
        session, who, Action.book_appointment, person_id, now=now, today=today
    ):
        return None
    if starts_at <= now:
        return None
    appointment = _open(session, person_id, who.worker_id, now)
    moved = appointment is not None
    if appointment is None:
        appointment = Appointment(
            person_id=person_id,
            worker_id=who.worker_id,
            starts_at=starts_at.astimezone(UTC),
            place=_last_place(session, person_id),
            created_at=now,
        )
        session.add(appointment)
    else:
        appointment.starts_at = starts_at.astimezone(UTC)
    session.flush()
    action = "update" if moved else "create"
    audit(
        session, who.actor, action, "appointment", appointment.id, at=now, person_id=person_id, detail="time"
    )
    return Booked(_view(session, appointment), moved)


def _mine(
    session: Session, who: Identity, appointment_id: int, *, now: datetime, today: date
) -> Appointment | None:
    """The caller's own appointment, rights checked (a refusal audited, saying nothing more)."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.worker_id != who.worker_id:
        audit(
            session,
            who.actor,
            "refused",
            "appointment",
            appointment_id,
            at=now,
            detail=str(Action.book_appointment),
        )
        return None
    if not may(session, who, Action.book_appointment, appointment.person_id, now=now, today=today):
        return None
    return appointment


def own_appointment(
    session: Session, who: Identity, appointment_id: int, *, now: datetime, today: date
) -> AppointmentView | None:
    """The caller's own appointment, to offer its places; None (refusal audited) for anyone else."""
    appointment = _mine(session, who, appointment_id, now=now, today=today)
    return None if appointment is None else _view(session, appointment)


def change_place(
    session: Session, who: Identity, appointment_id: int, place: Place, *, now: datetime, today: date
) -> tuple[Change, AppointmentView] | None:
    """Set where the meeting is; None if not allowed."""
    appointment = _mine(session, who, appointment_id, now=now, today=today)
    if appointment is None:
        return None
    if appointment.cancelled_at is not None or appointment.starts_at <= now:
        return Change.gone, _view(session, appointment)
    appointment.place = place.value
    audit(
        session,
        who.actor,
        "update",
        "appointment",
        appointment.id,
        at=now,
        person_id=appointment.person_id,
        detail="place",
    )
    return Change.done, _view(session, appointment)


def cancel(
    session: Session, who: Identity, appointment_id: int, *, now: datetime, today: date
) -> tuple[Change, AppointmentView] | None:
    """Cancel the meeting (the row is kept); None if not allowed."""
    appointment = _mine(session, who, appointment_id, now=now, today=today)
    if appointment is None:
        return None
    if appointment.cancelled_at is not None or appointment.starts_at <= now:
        return Change.gone, _view(session, appointment)
    appointment.cancelled_at = now
    audit(
        session, who.actor, "cancel", "appointment", appointment.id, at=now, person_id=appointment.person_id
    )
    return Change.done, _view(session, appointment)


# -- what others see ---------------------------------------------------------------------------


# Built once: every card reads it.
_NEXT = (
    select(Appointment)
    .where(
        Appointment.person_id == bindparam("person"),
        Appointment.cancelled_at.is_(None),
        Appointment.starts_at > bindparam("now"),
    )
    .order_by(Appointment.starts_at, Appointment.id)
    .limit(1)
)


def next_appointment(session: Session, person_id: int, *, now: datetime) -> AppointmentView | None:
    """The person's next open appointment, with anyone (the card; the caller's rights checked)."""
    appointment = session.scalar(_NEXT, {"person": person_id, "now": now})
    return None if appointment is None else _view(session, appointment)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC moments a local day begins and ends."""
    start = local_midnight(day, tz)
    return start, local_midnight(day + timedelta(days=1), tz)


def appointments_on(
    session: Session, worker_ids: Sequence[int], day: date, tz: ZoneInfo
) -> dict[int, list[AppointmentView]]:
    """Each worker's open appointments of that local day, by time (the morning list)."""
    start, end = day_bounds(day, tz)
    found: dict[int, list[AppointmentView]] = {w: [] for w in worker_ids}
    rows = session.execute(
        select(Appointment, Person.code, Person.name)
        .join(Person, Person.id == Appointment.person_id)
        .where(
            one_of(session, Appointment.worker_id, sorted(set(worker_ids))),
            Appointment.cancelled_at.is_(None),
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    for a, code, name in rows:
        found[a.worker_id].append(
            AppointmentView(a.id, a.person_id, a.worker_id, a.starts_at, a.place, code, name)
        )
    return found
