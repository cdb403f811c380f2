"""A person's timeline besides records (the Mini App's): colour changes and urgent family alerts.

Called only after the card's check (`cards.person_card`: jurisdiction, audited read) for the same
person; it carries no free text (a reason, an alert's description), only what happened and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.family import UrgentAlert
from models.people import ColourChange

EVENTS_SHOWN = 20


@dataclass(frozen=True)
class PersonEvent:
    at: datetime
    kind: str  # "colour" or "alert"
    colour_from: str | None = None
    colour_to: str | None = None
    acknowledged: bool | None = None  # an alert: whether a worker took it


def person_events(session: Session, person_id: int) -> list[PersonEvent]:
    """The latest colour changes and alerts, newest first (the caller has checked rights)."""
    changes = session.execute(
        select(ColourChange.changed_at, ColourChange.from_colour, ColourChange.to_colour)
        .where(ColourChange.person_id == person_id)
        .order_by(ColourChange.changed_at.desc())
        .limit(EVENTS_SHOWN)
    )
    alerts = session.execute(
        select(UrgentAlert.created_at, UrgentAlert.acknowledged_at)
        .where(UrgentAlert.person_id == person_id)
        .order_by(UrgentAlert.created_at.desc())
        .limit(EVENTS_SHOWN)
    )
    events = [
        PersonEvent(at, "colour", None if old is None else str(old), str(new)) for at, old, new in changes
    ] + [PersonEvent(at, "alert", acknowledged=taken is not None) for at, taken in alerts]
    return sorted(events, key=lambda e: e.at, reverse=True)[:EVENTS_SHOWN]
