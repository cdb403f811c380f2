"""What /whoami shows: the caller's own link, nothing about anyone else's case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.areas import Area
from models.audit import audit
from models.people import FamilyMember, Worker
from models.services.identity import Identity


@dataclass(frozen=True)
class Profile:
    name: str | None
    role: str
    area: str | None
    relation: str | None = None


def whoami(session: Session, who: Identity, *, now: datetime) -> Profile:
    """The caller's own profile (audited as a read of their own link)."""
    if who.worker_id is not None:
        row = session.execute(
            select(Worker.name, Worker.role, Area.name)
            .join(Area, Area.id == Worker.area_id)
            .where(Worker.id == who.worker_id)
        ).one()
        audit(session, who.actor, "read", "worker", who.worker_id, at=now)
        return Profile(row[0], str(row[1]), row[2])
    if who.family_member_id is not None:
        relation = session.scalar(
            select(FamilyMember.relation).where(FamilyMember.id == who.family_member_id)
        )
        audit(session, who.actor, "read", "family_member", who.family_member_id, at=now)
        return Profile(None, "family", None, relation)
    return Profile(None, "unlinked", None)
