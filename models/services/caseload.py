"""A worker's caseload and the people it holds, as frozen views for the chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import audit
from models.people import Colour, Person, Status
from models.services.identity import Identity
from models.services.rights import caseload_clause


@dataclass(frozen=True)
class PersonLine:
    """One person in a list: enough to choose, nothing sensitive."""

    id: int
    code: str
    name: str
    colour: Colour
    status: Status
    programme_end: date | None


def caseload(
    session: Session, who: Identity, *, now: datetime, search: str | None = None
) -> list[PersonLine]:
    """The people on the caller's care teams, red/orange first; audited as one list read."""
    if who.worker_id is None:
        return []
    query = select(
        Person.id, Person.code, Person.name, Person.colour, Person.status, Person.programme_end
    ).where(caseload_clause(who.worker_id))
    if search:
        term = search.strip().lower()
        query = query.where(
            Person.name.contains(term, autoescape=True)
            | Person.initials.startswith(term, autoescape=True)
            | (Person.code == search.strip())
        )
    rows = session.execute(query).all()
    order = {c: i for i, c in enumerate(Colour)}
    lines = sorted((PersonLine(*row) for row in rows), key=lambda p: (order[p.colour], p.code))
    audit(session, who.actor, "list", "caseload", who.worker_id, at=now, detail=f"n={len(lines)}")
    return lines
