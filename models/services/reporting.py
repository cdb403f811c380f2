"""Filing records about a person: every write checked against the caller's rights and audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.access import Action
from models.audit import audit
from models.records import Record, RecordKind
from models.services.identity import Identity
from models.services.rights import may

LATE_AFTER = timedelta(hours=48)


class NotAllowed(PermissionError):
    """The caller may not do this to this person (or the person does not exist: we don't say)."""


@dataclass(frozen=True)
class NewRecord:
    person_id: int
    kind: RecordKind
    occurred_at: datetime
    subkind: str | None = None
    result: str | None = None
    score: int | None = None
    place: str | None = None
    notes: str | None = None
    photo_ref: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def file_record(
    session: Session, who: Identity, new: NewRecord, *, now: datetime, idempotency_key: str
) -> int:
    """Save a record once per idempotency key (a double tap or redelivery saves nothing more)."""
    existing = session.scalar(select(Record.id).where(Record.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    if who.worker_id is None or not may(session, who, Action.write_record, new.person_id, now=now):
        raise NotAllowed(new.kind)
    record = Record(
        person_id=new.person_id,
        kind=new.kind,
        subkind=new.subkind,
        result=new.result,
        score=new.score,
        occurred_at=new.occurred_at,
        place=new.place,
        details=new.details,
        notes=new.notes,
        photo_ref=new.photo_ref,
        author_id=who.worker_id,
        created_at=now,
        updated_at=now,
        late=now - new.occurred_at > LATE_AFTER,
        voided=False,
        idempotency_key=idempotency_key,
    )
    session.add(record)
    session.flush()
    audit(session, who.actor, "create", str(new.kind), record.id, at=now, person_id=new.person_id)
    return record.id
