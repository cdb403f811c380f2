"""A person's timeline besides records (the Mini App's): case changes (status, transfer, agreement …),
colour changes and urgent family alerts.

Called only after the card's check (`cards.person_card`: jurisdiction, audited read) for the same
person; it carries no free text (a reason, an alert's description), only what happened and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.casework import CaseChange
from models.family import UrgentAlert
from models.people import ColourChange
from models.services.casework.timeline import change_state

EVENTS_SHOWN = 20


@dataclass(frozen=True)
class PersonEvent:
    at: datetime
    kind: str  # "case", "colour" or "alert"
    colour_from: str | None = None
    colour_to: str | None = None
    acknowledged: bool | None = None  # an alert: whether a worker took it
    change: str | None = None  # a case change's kind (models.casework.CaseChangeKind)
    state: str | None = None  # a case change's: done, waiting or refused


def person_events(session: Session, person_id: int) -> list[PersonEvent]:
    """The latest case changes, colour changes and alerts, newest first (the caller has checked rights)."""
    cases = session.scalars(
        select(CaseChange)
        .where(CaseChange.person_id == person_id)
        .order_by(CaseChange.proposed_at.desc())
        .limit(EVENTS_SHOWN)
    )
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
    events = (
        [PersonEvent(c.proposed_at, "case", change=str(c.kind), state=change_state(c)) for c in cases]
        + [PersonEvent(at, "colour", None if old is None else str(old), str(new)) for at, old, new in changes]
        + [PersonEvent(at, "alert", acknowledged=taken is not None) for at, taken in alerts]
    )
    return sorted(events, key=lambda e: e.at, reverse=True)[:EVENTS_SHOWN]
