"""Person-level access: does this caller's scope for this action cover this person? Refusals audited.

A worker's caseload is the people on whose care team they are, plus, while a delegation runs,
the people of every colleague who handed their caseload to them (one hop: a delegate does not
pass on what was delegated to them). The delegating worker keeps access throughout.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, ColumnElement, Date, Select, bindparam, select, union_all
from sqlalchemy.orm import Session

from models.access import Action, Scope, scope_of
from models.areas import Area, subtree_bounds, within_bound
from models.audit import audit
from models.casework import Delegation
from models.people import CareAssignment, Person
from models.services.identity import Identity

# Only used when a caller passes no local date: the default of models.policy.Policy.tz.
_FALLBACK_TZ = ZoneInfo("Asia/Shanghai")

# On the tables rather than the ORM classes (see models.services.sql): the clauses below go into
# statements that are built once and run on every update, where a Core select costs a third of the ORM's.
_delegations, _assignments, _persons, _areas = (
    m.__table__ for m in (Delegation, CareAssignment, Person, Area)
)


def local_day(now: datetime, today: date | None = None) -> date:
    """The local date a delegation is judged on: the caller's, else the default time zone's."""
    return today if today is not None else now.astimezone(_FALLBACK_TZ).date()


def delegators_of(worker_id: Any, on: Any) -> Select[Any]:
    """SQL: the workers who delegated their caseload to `worker_id` on the day `on` (values or bindparams)."""
    return select(_delegations.c.from_worker_id).where(
        _delegations.c.to_worker_id == worker_id,
        _delegations.c.cancelled.is_(False),
        _delegations.c.starts_on <= on,
        _delegations.c.ends_on >= on,
    )


def caseload_clause(worker_id: Any, on: Any = None) -> ColumnElement[bool]:
    """SQL condition: the person (Person.id) has this worker on the care team, or (given a day)
    a worker who delegated to them that day. Values or bindparams."""
    people: Any = select(_assignments.c.person_id).where(_assignments.c.worker_id == worker_id)
    if on is not None:
        lent = _assignments.c.worker_id.in_(delegators_of(worker_id, on))
        people = union_all(people, select(_assignments.c.person_id).where(lent))
    # An IN over the care teams of these few workers, each part an index lookup: as a per-person
    # EXISTS the planners test every person of the city (10,000: ~25 ms on SQLite), and with an OR
    # of the two parts PostgreSQL scans the care teams (~120 ms for /today).
    return _persons.c.id.in_(people)


# Built once with parameters: `may` runs on most updates, twice on a save.
_WORKER: BindParameter[Any] = bindparam("worker")
_DAY = bindparam("day", type_=Date)
_IN_CASELOAD = select(_persons.c.id).where(
    _persons.c.id == bindparam("person"), caseload_clause(_WORKER, _DAY)
)
_ON_CARE_TEAM = select(_persons.c.id).where(_persons.c.id == bindparam("person"), caseload_clause(_WORKER))
_IN_SUBTREE = (
    select(_persons.c.id)
    .join(_areas, _areas.c.id == _persons.c.area_id)
    .where(_persons.c.id == bindparam("person"), within_bound(_areas.c.path))
)


def person_in_scope(
    session: Session, who: Identity, scope: Scope, person_id: int, *, on: date | None = None
) -> bool:
    if scope is Scope.linked:
        return who.person_id == person_id
    if who.worker_id is None:
        return False
    params: dict[str, Any]
    if scope is Scope.caseload and on is None:
        query, params = _ON_CARE_TEAM, {"person": person_id, "worker": who.worker_id}
    elif scope is Scope.caseload:
        query, params = _IN_CASELOAD, {"person": person_id, "worker": who.worker_id, "day": on}
    elif scope is Scope.jurisdiction and who.area_path:
        low, high = subtree_bounds(who.area_path)
        query, params = _IN_SUBTREE, {"person": person_id, "low": low, "high": high}
    else:
        return False
    return session.execute(query, params).first() is not None


def may(
    session: Session,
    who: Identity,
    action: Action,
    person_id: int,
    *,
    now: datetime,
    today: date | None = None,
) -> bool:
    """True if `who` may do `action` on the person; a refusal is audited and says nothing more.

    `today` is the caller's local date, which decides whether a delegation is running.
    """
    scope = scope_of(who.principal, action)
    allowed = scope is not None and person_in_scope(session, who, scope, person_id, on=local_day(now, today))
    if not allowed:
        # record_id has no foreign key, so probes for ids that do not exist are kept too.
        audit(session, who.actor, "refused", "person", person_id, at=now, detail=str(action))
    return allowed


# Built once: every saved record asks whom it is filed for.
_DIRECT_CARER = select(_assignments.c.id).where(
    _assignments.c.person_id == bindparam("person"), _assignments.c.worker_id == _WORKER
)
_DELEGATING_CARER = (
    select(_assignments.c.worker_id)
    .where(
        _assignments.c.person_id == bindparam("person"),
        _assignments.c.worker_id.in_(delegators_of(_WORKER, _DAY)),
    )
    .order_by(_assignments.c.case_role != "responsible", _assignments.c.worker_id)
    .limit(1)
)


def on_behalf_of(session: Session, worker_id: int, person_id: int, on: date) -> int | None:
    """The delegating worker a record is filed for, or None when `worker_id` is on the care team."""
    params = {"person": person_id, "worker": worker_id}
    if session.execute(_DIRECT_CARER, params).first() is not None:
        return None
    return session.execute(_DELEGATING_CARER, {**params, "day": on}).scalar()
