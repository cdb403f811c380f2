"""Reading the audit trail (审计日志) for an administrator, by person or by actor; the read is audited too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from models.audit import Actor, ActorKind, AuditEntry, audit
from models.people import Person, Worker
from models.services.directory.entries import NotFound

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class AuditLine:
    """One entry, with the codes an administrator recognises (worker and person codes, not names)."""

    id: int
    at: datetime
    actor: str  # e.g. "worker:12 (W-G1)", "cli", "telegram"
    actor_role: str | None
    action: str
    record: str  # e.g. "person:7"
    person_code: str | None
    detail: str | None


@dataclass(frozen=True)
class ActorRef:
    kind: ActorKind
    id: int | None


def parse_actor(session: Session, text: str) -> ActorRef:
    """`worker:12`, `worker:W-G1` (a code), `family:3`, `cli`, `system`, `telegram` → an actor reference."""
    kind_text, _, ident = text.strip().partition(":")
    try:
        kind = ActorKind(kind_text.lower())
    except ValueError:
        raise NotFound(f"actor kind {kind_text!r} (use {', '.join(k.value for k in ActorKind)})") from None
    if not ident:
        return ActorRef(kind, None)
    if ident.isdigit():
        return ActorRef(kind, int(ident))
    if kind is ActorKind.worker:
        worker_id = session.scalar(select(Worker.id).where(Worker.code == ident))
        if worker_id is None:
            raise NotFound(f"worker {ident}")
        return ActorRef(kind, worker_id)
    raise NotFound(f"actor id {ident!r}: a number is expected")


_ACTOR_WORKER = aliased(Worker, name="actor_worker")  # built once: an alias is costly to set up


def _probed_person() -> ColumnElement[int | None]:
    """A refusal keeps the probed person's id as record_id only (it may not exist): show it too."""
    return case((AuditEntry.record_type == "person", AuditEntry.record_id), else_=None)


def _query() -> Select:
    actor_worker = _ACTOR_WORKER
    return (
        select(AuditEntry, actor_worker.code, Person.code)
        .outerjoin(
            actor_worker,
            and_(AuditEntry.actor_kind == ActorKind.worker, AuditEntry.actor_id == actor_worker.id),
        )
        .outerjoin(Person, Person.id == func.coalesce(AuditEntry.person_id, _probed_person()))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )


def _lines(session: Session, query: Select) -> list[AuditLine]:
    lines = []
    for entry, worker_code, person_code in session.execute(query).all():
        actor = (
            f"{entry.actor_kind}:{entry.actor_id}" if entry.actor_id is not None else str(entry.actor_kind)
        )
        if worker_code:
            actor += f" ({worker_code})"
        record = (
            f"{entry.record_type}:{entry.record_id}" if entry.record_id is not None else entry.record_type
        )
        lines.append(
            AuditLine(
                entry.id,
                entry.at,
                actor,
                entry.actor_role,
                entry.action,
                record,
                person_code,
                entry.detail,
            )
        )
    return lines


def person_trail(
    session: Session, person_code: str, *, actor: Actor, now: datetime, limit: int = DEFAULT_LIMIT
) -> list[AuditLine]:
    """Newest first: every entry about the person, refusals of probes for them included."""
    person_id = session.scalar(select(Person.id).where(Person.code == person_code))
    if person_id is None:
        raise NotFound(f"person {person_code}")
    about = or_(
        AuditEntry.person_id == person_id,
        and_(AuditEntry.record_type == "person", AuditEntry.record_id == person_id),
    )
    lines = _lines(session, _query().where(about).limit(limit))
    audit(
        session,
        actor,
        "read_audit",
        "person",
        person_id,
        at=now,
        person_id=person_id,
        detail=f"n={len(lines)}",
    )
    return lines


def actor_trail(
    session: Session, who: ActorRef, *, actor: Actor, now: datetime, limit: int = DEFAULT_LIMIT
) -> list[AuditLine]:
    """Newest first: what one actor did (`cli`, `system`, `telegram` without an id: all of that kind)."""
    condition = AuditEntry.actor_kind == who.kind
    if who.id is not None:
        condition = and_(condition, AuditEntry.actor_id == who.id)
    lines = _lines(session, _query().where(condition).limit(limit))
    detail = f"actor={who.kind}:{who.id if who.id is not None else '*'} n={len(lines)}"
    audit(session, actor, "read_audit", "actor", who.id, at=now, detail=detail)
    return lines
