"""A supervisor's jurisdiction (辖区): which areas and workers they may drill into, and who gets digests.

Button data carries only ids; every press comes back here, where the id is resolved and checked
against the caller's subtree. A refusal is audited and says nothing about what the id names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, SQLColumnExpression, select
from sqlalchemy.orm import Session

from models.areas import Area, AreaLevel, subtree_ids, within
from models.audit import audit
from models.chat import Chat
from models.outbox import OutboxMessage
from models.people import Person, Role, Worker
from models.policy import Policy
from models.schedule import State
from models.services.identity import Identity
from models.services.obligations.due import obligation_rows


def in_subtree(query: Select, person_id: SQLColumnExpression[int], path: str) -> Select:
    """Restrict a query to rows whose person (joined, for the caller's columns) lives in the subtree
    at `path`. The subtree's areas are a set the person's area is looked up in, not a join: SQLite
    then reads each row's person and no area row (a city's 60,000 reports of a month: 0.18 → 0.05 s)."""
    return query.join(Person, Person.id == person_id).where(Person.area_id.in_(subtree_ids(path)))


@dataclass(frozen=True)
class AreaRef:
    id: int
    code: str
    name: str
    level: AreaLevel
    path: str


@dataclass(frozen=True)
class WorkerRef:
    id: int
    code: str
    name: str
    role: Role
    area_path: str


def _refuse(session: Session, who: Identity, kind: str, ref: object, action: str, now: datetime) -> None:
    record_id = ref if isinstance(ref, int) and abs(ref) < 2**62 else None
    audit(session, who.actor, "refused", kind, record_id, at=now, detail=action)


def area_in_scope(
    session: Session,
    who: Identity,
    *,
    now: datetime,
    area_id: int | None = None,
    code: str | None = None,
    action: str = "view_digest",
) -> AreaRef | None:
    """The area (by id or code; neither: the caller's own) if it lies in the caller's subtree."""
    if who.area_path is None:
        _refuse(session, who, "area", area_id, action, now)
        return None
    query = select(Area.id, Area.code, Area.name, Area.level, Area.path).where(
        within(Area.path, who.area_path)
    )
    if area_id is not None:
        query = query.where(Area.id == area_id)
    elif code is not None:
        query = query.where(Area.code == code)
    else:
        query = query.where(Area.path == who.area_path)
    row = session.execute(query).first() if area_id is None or abs(area_id) < 2**62 else None
    if row is None:
        _refuse(session, who, "area", area_id, action, now)
        return None
    return AreaRef(*row)


def worker_in_scope(session: Session, who: Identity, worker_id: int, *, now: datetime) -> WorkerRef | None:
    """The worker if their home area lies in the caller's subtree."""
    row = None
    if who.area_path is not None and abs(worker_id) < 2**62:
        row = session.execute(
            select(Worker.id, Worker.code, Worker.name, Worker.role, Area.path)
            .join(Area, Area.id == Worker.area_id)
            .where(Worker.id == worker_id, within(Area.path, who.area_path))
        ).first()
    if row is None:
        _refuse(session, who, "worker", worker_id, "view_digest", now)
        return None
    return WorkerRef(*row)


@dataclass(frozen=True)
class OverdueItem:
    person_id: int
    person_code: str
    obligation: str
    days_overdue: int


def worker_overdue(
    session: Session, who: Identity, worker: WorkerRef, *, today: date, policy: Policy, now: datetime
) -> list[OverdueItem]:
    """A worker's overdue items for people in the caller's subtree, longest overdue first; audited."""
    assert who.area_path is not None
    rows = obligation_rows(session, today=today, policy=policy, worker_id=worker.id)
    inside = set(
        session.scalars(
            select(Area.id).where(within(Area.path, who.area_path), Area.id.in_({r.area_id for r in rows}))
        )
    )
    items = [
        OverdueItem(r.person_id, r.person_code, str(r.obligation), r.days_overdue)
        for r in rows
        if r.state == State.overdue and r.worker_id == worker.id and r.area_id in inside
    ]
    audit(session, who.actor, "list", "overdue", worker.id, at=now, detail=f"n={len(items)}")
    return sorted(items, key=lambda i: (-i.days_overdue, i.person_code, i.obligation))


@dataclass(frozen=True)
class Recipient:
    """A supervisor who gets the daily digest of their area."""

    worker_id: int
    chat_id: int
    area: AreaRef


def digest_recipients(session: Session, *, area_code: str | None = None) -> list[Recipient]:
    """Active, linked, reachable supervisors (of one area, if given), the widest areas first."""
    query = (
        select(Worker.id, Worker.telegram_user_id, Area.id, Area.code, Area.name, Area.level, Area.path)
        .join(Area, Area.id == Worker.area_id)
        .outerjoin(Chat, Chat.chat_id == Worker.telegram_user_id)
        .where(
            Worker.role == Role.supervisor,
            Worker.active.is_(True),
            Worker.telegram_user_id.is_not(None),
            Chat.unreachable.is_not(True),
        )
        .order_by(Area.path, Worker.id)
    )
    if area_code is not None:
        query = query.where(Area.code == area_code)
    rows = session.execute(query)
    # The query keeps linked accounts only.
    return [Recipient(row[0], row[1], AreaRef(*row[2:])) for row in rows if row[1] is not None]


def queued(session: Session, dedupe_key: str) -> bool:
    """True if a message with this key is in the outbox already (sent or not)."""
    return session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None
