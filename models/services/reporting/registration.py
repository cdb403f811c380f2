"""报到 (registration): what the registration form reads and writes besides its record.

The record itself meets the obligation (models.schedule: within 15 days of release); the person's
`registered_on` is set to its date as well (the earliest since the latest release, or ever), so the
card, the digest and the exports show it. Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import audit
from models.people import Person, Status
from models.schedule import REGISTRATION_DAYS
from models.services.identity import Identity


@dataclass(frozen=True)
class Release:
    """A release from isolation the registration answers, with its deadline."""

    released_on: date
    deadline: date


def release_of(session: Session, person_id: int) -> Release | None:
    """The release a registration now answers (a person in community rehabilitation), if any."""
    row = session.execute(select(Person.status, Person.release_date).where(Person.id == person_id)).first()
    if row is None or row.status is not Status.community_rehab or row.release_date is None:
        return None
    return Release(row.release_date, row.release_date + timedelta(days=REGISTRATION_DAYS - 1))


def mark_registered(
    session: Session, who: Identity, person_id: int, day: date, *, now: datetime, corrected: bool = False
) -> bool:
    """Set the person's registration date from a registration record; True if it changed.

    It holds the earliest registration since the latest release (or ever, without one): a date from
    before that release is replaced, a later second record of the same registration changes nothing.
    A `corrected` record's date replaces the date of the record it corrects.
    """
    person = session.get(Person, person_id)
    if person is None:
        return False
    since = person.release_date if person.status is Status.community_rehab else None
    current = person.registered_on
    stale = corrected or current is None or (since is not None and current < since)
    if not stale and current is not None and day >= current:
        return False
    person.registered_on, person.updated_at = day, now
    audit(
        session, who.actor, "update", "person", person_id, at=now, person_id=person_id, detail="registered_on"
    )
    return True
