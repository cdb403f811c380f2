"""Visits that did not find the person (未见到本人): when two in a row mean the person may be lost."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.records import NOT_MET, Record, RecordKind

NOT_MET_TWICE = "not_met_twice"  # the alert kind: its source is the second visit's record id


def not_met_twice(session: Session, person_id: int, record_id: int) -> bool:
    """Is this visit record a 未见到本人 whose previous visit (voided ones aside) was one too?

    Any visit that found the person, a phone call included, breaks the run: someone reached them.
    """
    this = session.get(Record, record_id)
    if this is None or this.person_id != person_id or this.result != NOT_MET:
        return False
    before = session.scalar(
        select(Record.result)
        .where(
            Record.person_id == person_id,
            Record.kind == RecordKind.visit,
            Record.voided.is_(False),
            Record.id != record_id,
            (Record.occurred_at < this.occurred_at)
            | ((Record.occurred_at == this.occurred_at) & (Record.id < record_id)),
        )
        .order_by(Record.occurred_at.desc(), Record.id.desc())
        .limit(1)
    )
    return before == NOT_MET
