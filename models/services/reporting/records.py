"""Filing, correcting and voiding records about a person: every write checked and audited.

Corrections keep history: a correction is a new record whose `corrects_id` names the one it
replaces, and the replaced one is voided with the reason "corrected". Nothing is ever deleted or
changed in place apart from that void flag, so the chain shows every version and who wrote it.
The author may correct or void within 24 hours of first filing; after that only a supervisor's
review (another feature) can flag it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from models.access import Action, may_file
from models.alerts import AlertLog
from models.audit import audit
from models.casework import ColourProposal
from models.people import CLOSED_STATUSES, Person
from models.record_dates import is_late
from models.records import ALERT_RESULTS, Record, RecordKind
from models.services.identity import Identity
from models.services.obligations.state import changed, may_count
from models.services.reporting.visits import NOT_MET_TWICE
from models.services.rights import local_day, may, on_behalf_of

CORRECT_WITHIN = timedelta(hours=24)  # the author may correct or void this long after first filing
CORRECTED = "corrected"


class NotAllowed(PermissionError):
    """The caller may not do this to this person (or the person does not exist: we don't say)."""


class CaseClosed(NotAllowed):
    """The person's case is closed (解除, deceased, moved out): the file is read-only."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class TooLate(PermissionError):
    """The correction window of this record has closed."""


class AlreadyVoided(ValueError):
    """The record was voided or corrected already."""


SIGNS_OF_USE = "signs_of_use"  # a visit's observed state that alerts like a positive test
DRUG_CONTACT = "contact"  # a visit's social contacts: seen with drug users


def raises_alert(kind: str, result: str | None, details: dict[str, Any]) -> bool:
    """Does this record alert the cadre, police and supervisor at once?

    A positive, refused or missed test; a visit that saw signs of use or contact with drug users.
    """
    if kind == RecordKind.drug_test:
        return result in ALERT_RESULTS
    if kind == RecordKind.visit:
        return result == SIGNS_OF_USE or details.get("social") == DRUG_CONTACT
    return False


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


@dataclass(frozen=True)
class Filed:
    """What saving did: the record's id, whether this call created it, and whether it is late."""

    id: int
    created: bool
    late: bool
    on_behalf_of: int | None = None
    replaced: RecordRef | None = None  # the record this one corrected


_records = Record.__table__
# Built once, on the table (see models.services.sql): every save runs them, and through the ORM
# (a Record object, its flush) they cost several times the Core statements.
_BY_KEY = select(_records.c.id, _records.c.late, _records.c.on_behalf_of).where(
    _records.c.idempotency_key == bindparam("key")
)
_INSERT = insert(_records).returning(_records.c.id)
_persons = Person.__table__
_STATUS = select(_persons.c.status).where(_persons.c.id == bindparam("person"))


def save_record(
    session: Session,
    who: Identity,
    new: NewRecord,
    *,
    now: datetime,
    idempotency_key: str,
    today: date | None = None,
    corrects_id: int | None = None,
) -> Filed:
    """Save a record once per idempotency key (a double tap or redelivery saves nothing more), and say
    whether this call created it (alerts go out only then).

    With `corrects_id`, the new record replaces that one (same person and kind, the author's own,
    within the window), which is voided as "corrected" in the same transaction.
    """
    existing = session.execute(_BY_KEY, {"key": idempotency_key}).first()
    if existing is not None:
        return Filed(existing.id, False, existing.late, existing.on_behalf_of)
    day = local_day(now, today)
    if who.worker_id is None or not may(session, who, Action.write_record, new.person_id, now=now, today=day):
        raise NotAllowed(new.kind)
    if not may_file(who.principal, new.kind):  # the person is in their care, but not this form
        audit(session, who.actor, "refused", "person", new.person_id, at=now, detail=f"file {new.kind}")
        raise NotAllowed(new.kind)
    status = session.execute(_STATUS, {"person": new.person_id}).scalar()
    if status in CLOSED_STATUSES:
        audit(session, who.actor, "refused", "person", new.person_id, at=now, detail="case closed")
        raise CaseClosed(str(status))
    first_filed = now
    old, replaced = None, None
    if corrects_id is not None:
        old, replaced = _own_open_record(session, who, corrects_id, now=now, today=day)
        if old.person_id != new.person_id or old.kind != new.kind:
            raise NotAllowed(new.kind)
        first_filed = _first_filed(session, old)
    # A correction is judged by when the first version was filed, not by when it was fixed.
    late = is_late(new.occurred_at, first_filed)
    behalf = on_behalf_of(session, who.worker_id, new.person_id, day)
    record_id = session.execute(
        _INSERT,
        {
            "person_id": new.person_id,
            "kind": new.kind,
            "subkind": new.subkind,
            "result": new.result,
            "score": new.score,
            "occurred_at": new.occurred_at,
            "place": new.place,
            "details": new.details,
            "notes": new.notes,
            "photo_ref": new.photo_ref,
            "author_id": who.worker_id,
            "on_behalf_of": behalf,
            "created_at": now,
            "updated_at": now,
            "late": late,
            "voided": False,
            "idempotency_key": idempotency_key,
            "corrects_id": corrects_id,
        },
    ).scalar_one()
    if may_count(new.kind):  # a Core insert: the person's obligations are worked out again
        changed(session, new.person_id)
    audit(session, who.actor, "create", str(new.kind), record_id, at=now, person_id=new.person_id)
    if old is not None:
        _void(session, who, old, CORRECTED, now=now, detail=f"corrected_by={record_id}")
    return Filed(record_id, True, late, behalf, replaced)


@dataclass(frozen=True)
class RecordRef:
    """Enough of a record to offer, or refuse, its correction."""

    id: int
    person_id: int
    kind: RecordKind
    subkind: str | None
    result: str | None
    deadline: datetime  # the end of the correction window
    alerting: bool = False  # it alerted staff when filed (so voiding it tells them)


class Correctable(StrEnum):
    ok = "ok"
    expired = "expired"
    voided = "voided"
    not_allowed = "not_allowed"  # not the author, no longer in their care, or no such record


def _alerted_lost(session: Session, record_id: int) -> bool:
    """Did this record (a second 未见到本人 in a row) raise a lost-contact alert?"""
    found = select(AlertLog.id).where(AlertLog.kind == NOT_MET_TWICE, AlertLog.source_id == record_id)
    return session.scalar(found) is not None


def correctable(
    session: Session, who: Identity, record_id: int, *, now: datetime, today: date | None = None
) -> tuple[Correctable, RecordRef | None]:
    """May the caller correct or void this record now? Refusals for strangers are audited."""
    record = session.get(Record, record_id)
    if (
        record is None
        or who.worker_id is None
        or record.author_id != who.worker_id
        or not may(session, who, Action.correct_record, record.person_id, now=now, today=today)
    ):
        audit(session, who.actor, "refused", "record", record_id, at=now, detail=str(Action.correct_record))
        return Correctable.not_allowed, None
    ref = RecordRef(
        record.id,
        record.person_id,
        record.kind,
        record.subkind,
        record.result,
        _first_filed(session, record) + CORRECT_WITHIN,
        raises_alert(record.kind, record.result, record.details or {}) or _alerted_lost(session, record.id),
    )
    if record.voided:
        return Correctable.voided, ref
    if now > ref.deadline:
        return Correctable.expired, ref
    return Correctable.ok, ref


def void_record(
    session: Session, who: Identity, record_id: int, reason: str, *, now: datetime, today: date | None = None
) -> RecordRef:
    """Void one's own record within the window (never deleted; audited)."""
    record, ref = _own_open_record(session, who, record_id, now=now, today=local_day(now, today))
    _void(session, who, record, reason, now=now, detail="voided")
    return ref


def _own_open_record(
    session: Session, who: Identity, record_id: int, *, now: datetime, today: date
) -> tuple[Record, RecordRef]:
    state, ref = correctable(session, who, record_id, now=now, today=today)
    if state is Correctable.not_allowed or ref is None:
        raise NotAllowed(record_id)
    if state is Correctable.expired:
        raise TooLate(record_id)
    if state is Correctable.voided:
        raise AlreadyVoided(record_id)
    record = session.get(Record, record_id)
    assert record is not None
    return record, ref


def _first_filed(session: Session, record: Record) -> datetime:
    """When the first version of a correction chain was filed (the window runs from there)."""
    first = record.created_at
    corrects = record.corrects_id
    for _ in range(100):  # chains are short; the bound only guards against a corrupted loop
        if corrects is None:
            break
        row = session.execute(
            select(Record.created_at, Record.corrects_id).where(Record.id == corrects)
        ).first()
        if row is None:
            break
        first, corrects = row.created_at, row.corrects_id
    return first


def _void(
    session: Session, who: Identity, record: Record, reason: str, *, now: datetime, detail: str
) -> None:
    record.voided, record.void_reason, record.updated_at = True, reason[:200], now
    # A colour change suggested by a voided assessment no longer stands.
    for proposal in session.scalars(
        select(ColourProposal).where(
            ColourProposal.record_id == record.id, ColourProposal.decided_at.is_(None)
        )
    ):
        proposal.decided_at, proposal.accepted = now, False
    action = "correct" if reason == CORRECTED else "void"
    audit(
        session,
        who.actor,
        action,
        str(record.kind),
        record.id,
        at=now,
        person_id=record.person_id,
        detail=detail,
    )
