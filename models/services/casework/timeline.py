"""The case's timeline on the person card: case changes (decided and waiting), colour changes and
pauses, newest first, a few lines (the card is read on a phone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.orm import Session

from models.casework import CaseChange, Pause
from models.people import ColourChange

LINES = 8


@dataclass(frozen=True)
class TimelineLine:
    """One dated event: `kind` is case, colour or pause; `what` a case change's kind or a colour."""

    day: date
    kind: str
    what: str
    state: str  # done, waiting, refused (a case change); done otherwise
    until: date | None = None  # a pause's end
    term_months: int | None = None


def change_state(row: CaseChange) -> str:
    """done, waiting or refused."""
    if row.decided_at is None:
        return "waiting"
    return "done" if row.accepted else "refused"


# Built once: every card reads them.
_PERSON: BindParameter[int] = bindparam("person")
_LIMIT: BindParameter[int] = bindparam("limit")
_CHANGES = (
    select(CaseChange)
    .where(CaseChange.person_id == _PERSON)
    .order_by(CaseChange.effective_on.desc(), CaseChange.id.desc())
    .limit(_LIMIT)
)
_COLOURS = (
    select(ColourChange)
    .where(ColourChange.person_id == _PERSON, ColourChange.from_colour.is_not(None))
    .order_by(ColourChange.changed_at.desc())
    .limit(_LIMIT)
)
_PAUSES = select(Pause).where(Pause.person_id == _PERSON).order_by(Pause.starts_on.desc()).limit(_LIMIT)


def timeline(session: Session, person_id: int, *, tz: ZoneInfo, limit: int = LINES) -> list[TimelineLine]:
    """The latest `limit` events of the case, newest first (the caller has checked rights)."""
    params = {"person": person_id, "limit": limit}
    lines = [
        TimelineLine(r.effective_on, "case", str(r.kind), change_state(r), term_months=r.term_months)
        for r in session.scalars(_CHANGES, params)
    ]
    lines += [
        TimelineLine(c.changed_at.astimezone(tz).date(), "colour", str(c.to_colour), "done")
        for c in session.scalars(_COLOURS, params)
    ]
    lines += [
        TimelineLine(p.starts_on, "pause", "pause", "done", until=p.ends_on)
        for p in session.scalars(_PAUSES, params)
    ]
    lines.sort(key=lambda line: line.day, reverse=True)
    return lines[:limit]
