"""Person-level access: does this caller's scope for this action cover this person? Refusals audited.

A worker's caseload is the people on whose care team they are, plus, while a delegation runs,
the people of every colleague who handed their caseload to them (one hop: a delegate does not
pass on what was delegated to them). The delegating worker keeps access throughout.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from models.access import Action, Scope, scope_of
from models.areas import Area, within
from models.audit import audit
from models.casework import Delegation
from models.people import CareAssignment, Person
from models.services.identity import Identity

# Only used when a caller passes no local date: the default of models.policy.Policy.tz.
_FALLBACK_TZ = ZoneInfo("Asia/Shanghai")


def local_day(now: datetime, today: date | None = None) -> date:
    """The local date a delegation is judged on: the caller's, else the default time zone's."""
    return today if today is not None else now.astimezone(_FALLBACK_TZ).date()


def delegators_of(worker_id: int, on: date):  # type: ignore[no-untyped-def]
    """SQL: the workers who delegated their caseload to `worker_id` on the day `on`."""
    return select(Delegation.from_worker_id).where(
        Delegation.to_worker_id == worker_id,
        Delegation.cancelled.is_(False),
        Delegation.starts_on <= on,
        Delegation.ends_on >= on,
    )


def caseload_clause(worker_id: int, on: date | None = None):  # type: ignore[no-untyped-def]
    """SQL condition: the person (Person.id) has this worker on the care team, or (given a day)
    a worker who delegated to them that day."""
    carer = CareAssignment.worker_id == worker_id
    if on is not None:
        carer = or_(carer, CareAssignment.worker_id.in_(delegators_of(worker_id, on)))
    return exists().where(CareAssignment.person_id == Person.id, carer)


def person_in_scope(
    session: Session, who: Identity, scope: Scope, person_id: int, *, on: date | None = None
) -> bool:
    if scope is Scope.linked:
        return who.person_id == person_id
    if who.worker_id is None:
        return False
    query = select(Person.id).where(Person.id == person_id)
    if scope is Scope.caseload:
        query = query.where(caseload_clause(who.worker_id, on))
    elif scope is Scope.jurisdiction and who.area_path:
        query = query.join(Area, Area.id == Person.area_id).where(within(Area.path, who.area_path))
    else:
        return False
    return session.scalar(query) is not None


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


def on_behalf_of(session: Session, worker_id: int, person_id: int, on: date) -> int | None:
    """The delegating worker a record is filed for, or None when `worker_id` is on the care team."""
    direct = session.scalar(
        select(CareAssignment.id).where(
            CareAssignment.person_id == person_id, CareAssignment.worker_id == worker_id
        )
    )
    if direct is not None:
        return None
    return session.scalar(
        select(CareAssignment.worker_id)
        .where(
            CareAssignment.person_id == person_id,
            CareAssignment.worker_id.in_(delegators_of(worker_id, on)),
        )
        .order_by(CareAssignment.case_role != "responsible", CareAssignment.worker_id)
        .limit(1)
    )
