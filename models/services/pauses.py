"""Pauses (暂停管控): while a person is in hospital, detained or away for a while, nothing accrues.

A pause has a reason and an end date. The schedule (models.schedule) owes a period only if the
person is active on more than half of its days, so a pause covering most of a week cancels that
week's meeting. Pauses of one person never overlap; ending one early (the person is back) makes
today the first day they owe again. Every change is audited; the reason stays on the pause row,
never in the audit detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.areas import Area, within
from models.audit import audit
from models.casework import Pause
from models.people import Person
from models.services.identity import Identity

REASONS = ("hospital", "detention", "away")  # presets, shown by label; anything else is free text
MAX_LENGTH = timedelta(days=366)
MAX_BACKDATE = timedelta(days=14)


class PauseError(ValueError):
    """Why a pause cannot be made: `reason` names a template under reminders/."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PauseView:
    id: int
    person_id: int
    code: str
    starts_on: date
    ends_on: date
    reason: str  # a preset (REASONS) or the worker's words

    @property
    def preset(self) -> bool:
        return self.reason in REASONS

    def running(self, today: date) -> bool:
        return self.starts_on <= today <= self.ends_on


def _view(pause: Pause, code: str) -> PauseView:
    return PauseView(pause.id, pause.person_id, code, pause.starts_on, pause.ends_on, pause.reason)


def pauses_of(session: Session, person_id: int, *, today: date) -> list[PauseView]:
    """The person's pauses running or to come (the caller has checked rights)."""
    rows = session.execute(
        select(Pause, Person.code)
        .join(Person, Person.id == Pause.person_id)
        .where(Pause.person_id == person_id, Pause.ends_on >= today)
        .order_by(Pause.starts_on)
    )
    return [_view(pause, code) for pause, code in rows]


def check_pause(starts_on: date, ends_on: date, *, today: date) -> None:
    """Raise PauseError unless the range is one a worker may set."""
    if ends_on < starts_on:
        raise PauseError("pause_order")
    if ends_on < today:
        raise PauseError("pause_past")
    if starts_on < today - MAX_BACKDATE:
        raise PauseError("pause_too_early")
    if ends_on - starts_on >= MAX_LENGTH:
        raise PauseError("pause_too_long")


def create_pause(
    session: Session,
    who: Identity,
    person_id: int,
    *,
    starts_on: date,
    ends_on: date,
    reason: str,
    today: date,
    now: datetime,
) -> PauseView:
    """Pause a person's obligations from `starts_on` to `ends_on` (inclusive); audited.

    The caller has checked `Action.pause_person` on the person; an overlap with another pause
    of the person is refused (end that one first).
    """
    check_pause(starts_on, ends_on, today=today)
    overlap = session.scalar(
        select(Pause.id).where(
            Pause.person_id == person_id, Pause.starts_on <= ends_on, Pause.ends_on >= starts_on
        )
    )
    if overlap is not None:
        raise PauseError("pause_overlap")
    pause = Pause(
        person_id=person_id,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason[:200],
        created_by=who.worker_id,
        created_at=now,
    )
    session.add(pause)
    session.flush()
    days = (ends_on - starts_on).days + 1
    audit(session, who.actor, "create", "pause", pause.id, at=now, person_id=person_id, detail=f"days={days}")
    code = session.scalar(select(Person.code).where(Person.id == person_id)) or ""
    return _view(pause, code)


def end_pause(
    session: Session, who: Identity, pause_id: int, *, person_id: int, today: date, now: datetime
) -> PauseView | None:
    """The person is back: the pause ends yesterday (one not begun yet is withdrawn); audited.

    None if there is no such running or coming pause of that person.
    """
    pause = session.get(Pause, pause_id)
    if pause is None or pause.person_id != person_id or pause.ends_on < today:
        return None
    code = session.scalar(select(Person.code).where(Person.id == person_id)) or ""
    if pause.starts_on >= today:
        view = _view(pause, code)
        session.delete(pause)
        audit(session, who.actor, "withdraw", "pause", pause_id, at=now, person_id=person_id)
        return view
    pause.ends_on = today - timedelta(days=1)
    audit(session, who.actor, "end", "pause", pause_id, at=now, person_id=person_id)
    return _view(pause, code)


def paused_in(session: Session, *, area_path: str, on: date) -> list[PauseView]:
    """Pauses running on a day in a subtree (for the supervisor's digest)."""
    rows = session.execute(
        select(Pause, Person.code)
        .join(Person, Person.id == Pause.person_id)
        .join(Area, Area.id == Person.area_id)
        .where(within(Area.path, area_path), Pause.starts_on <= on, Pause.ends_on >= on)
        .order_by(Person.code)
    )
    return [_view(pause, code) for pause, code in rows]
