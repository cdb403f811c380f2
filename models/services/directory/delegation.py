"""Delegation (工作委托): a worker on leave hands their caseload to a colleague for a date range.

While it runs, the colleague's caseload includes the delegating worker's people (see
models.services.rights.caseload_clause): they may read the cards and file reports, and each
record names its real author (author_id) and the worker it was filed for (on_behalf_of). When
the range ends, or the delegating worker cancels it, everything goes back by itself: nothing is
moved, so nothing has to be moved back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from models.areas import Area, AreaLevel, within
from models.audit import audit
from models.casework import Delegation
from models.people import CareAssignment, Role, Worker
from models.services.identity import Identity
from models.services.reminders.joiners import mark_joined

MAX_LENGTH = timedelta(days=90)  # a longer absence is a reassignment, not a delegation
MAX_AHEAD = timedelta(days=60)  # how far ahead a delegation may be planned
DELEGATES = (Role.grid_worker, Role.cadre)


class DelegationError(ValueError):
    """Why a delegation cannot be made: `reason` names a template."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Colleague:
    id: int
    code: str
    name: str
    role: str


@dataclass(frozen=True)
class DelegationView:
    id: int
    from_name: str
    to_name: str
    starts_on: date
    ends_on: date
    outgoing: bool  # mine, handed to a colleague (else: handed to me)


@dataclass(frozen=True)
class Delegated:
    id: int
    to_chat_id: int | None  # to tell the colleague
    people: int  # how many people it covers


def _community_path(session: Session, worker_id: int) -> str | None:
    """The path of the community a worker belongs to (their own area if it is above community level)."""
    area = session.scalar(select(Area).join(Worker, Worker.area_id == Area.id).where(Worker.id == worker_id))
    start = area
    while area is not None and area.level is not AreaLevel.community:
        area = session.get(Area, area.parent_id) if area.parent_id is not None else None
    found = area or start
    return found.path if found else None


def colleagues(session: Session, who: Identity) -> list[Colleague]:
    """Active grid workers and cadres of the caller's community, the caller excluded."""
    if who.worker_id is None:
        return []
    path = _community_path(session, who.worker_id)
    if path is None:
        return []
    rows = session.execute(
        select(Worker.id, Worker.code, Worker.name, Worker.role)
        .join(Area, Area.id == Worker.area_id)
        .where(
            within(Area.path, path),
            Worker.active.is_(True),
            Worker.role.in_(DELEGATES),
            Worker.id != who.worker_id,
        )
        .order_by(Worker.name, Worker.code)
    )
    return [Colleague(wid, code, name, str(role)) for wid, code, name, role in rows]


# built once: an alias is costly to set up on every call
_GIVER = aliased(Worker, name="giver")
_TAKER = aliased(Worker, name="taker")


def delegations_of(session: Session, who: Identity, *, today: date) -> list[DelegationView]:
    """Running and planned delegations from or to the caller."""
    if who.worker_id is None:
        return []
    giver, taker = _GIVER, _TAKER
    rows = session.execute(
        select(Delegation, giver.name, taker.name)
        .join(giver, giver.id == Delegation.from_worker_id)
        .join(taker, taker.id == Delegation.to_worker_id)
        .where(
            (Delegation.from_worker_id == who.worker_id) | (Delegation.to_worker_id == who.worker_id),
            Delegation.cancelled.is_(False),
            Delegation.ends_on >= today,
        )
        .order_by(Delegation.starts_on, Delegation.id)
    )
    return [
        DelegationView(d.id, g, t, d.starts_on, d.ends_on, d.from_worker_id == who.worker_id)
        for d, g, t in rows
    ]


def check_range(starts_on: date, ends_on: date, *, today: date) -> None:
    """Raise DelegationError unless the range is sensible: not past, in order, not too long or far."""
    if starts_on < today or ends_on < today:
        raise DelegationError("delegate_past")
    if ends_on < starts_on:
        raise DelegationError("delegate_order")
    if ends_on - starts_on >= MAX_LENGTH or starts_on - today > MAX_AHEAD:
        raise DelegationError("delegate_too_long")


def delegate(
    session: Session,
    who: Identity,
    to_worker_id: int,
    starts_on: date,
    ends_on: date,
    *,
    now: datetime,
    today: date,
) -> Delegated:
    """Hand the caller's caseload to a colleague of their community for a date range; audited."""
    if who.worker_id is None or to_worker_id not in {c.id for c in colleagues(session, who)}:
        audit(session, who.actor, "refused", "delegation", to_worker_id, at=now, detail="not_colleague")
        raise DelegationError("delegate_not_colleague")
    check_range(starts_on, ends_on, today=today)
    overlapping = session.scalar(
        select(Delegation.id).where(
            Delegation.from_worker_id == who.worker_id,
            Delegation.cancelled.is_(False),
            Delegation.starts_on <= ends_on,
            Delegation.ends_on >= starts_on,
        )
    )
    if overlapping is not None:
        raise DelegationError("delegate_overlap")
    row = Delegation(
        from_worker_id=who.worker_id,
        to_worker_id=to_worker_id,
        starts_on=starts_on,
        ends_on=ends_on,
        cancelled=False,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit(session, who.actor, "create", "delegation", row.id, at=now, detail=f"to={to_worker_id}")
    if starts_on <= today:  # from today the colleague's notices include these people
        mark_joined(session, [to_worker_id], now=now)
    people = session.scalar(
        select(func.count(func.distinct(CareAssignment.person_id))).where(
            CareAssignment.worker_id == who.worker_id
        )
    )
    chat = session.scalar(select(Worker.telegram_user_id).where(Worker.id == to_worker_id))
    return Delegated(row.id, chat, people or 0)


def cancel_delegation(
    session: Session, who: Identity, delegation_id: int, *, now: datetime
) -> Delegated | None:
    """The delegating worker ends a delegation early (or calls off a planned one); None if not theirs."""
    row = session.get(Delegation, delegation_id)
    if row is None or row.from_worker_id != who.worker_id or row.cancelled:
        audit(session, who.actor, "refused", "delegation", delegation_id, at=now, detail="cancel")
        return None
    row.cancelled = True
    audit(session, who.actor, "cancel", "delegation", row.id, at=now)
    chat = session.scalar(select(Worker.telegram_user_id).where(Worker.id == row.to_worker_id))
    return Delegated(row.id, chat, 0)


def delegate_of(session: Session, worker_id: int, on: date) -> int | None:
    """Who covers this worker on a day (for reminders and family messages), or None."""
    return session.scalar(
        select(Delegation.to_worker_id)
        .where(
            Delegation.from_worker_id == worker_id,
            Delegation.cancelled.is_(False),
            Delegation.starts_on <= on,
            Delegation.ends_on >= on,
        )
        .order_by(Delegation.id.desc())
        .limit(1)
    )
