"""Person-level access: does this caller's scope for this action cover this person? Refusals audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models.access import Action, Scope, scope_of
from models.areas import Area, within
from models.audit import audit
from models.people import CareAssignment, Person
from models.services.identity import Identity


def caseload_clause(worker_id: int):  # type: ignore[no-untyped-def]
    """SQL condition: the person (Person.id) has this worker on the care team."""
    return exists().where(CareAssignment.person_id == Person.id, CareAssignment.worker_id == worker_id)


def person_in_scope(session: Session, who: Identity, scope: Scope, person_id: int) -> bool:
    if scope is Scope.linked:
        return who.person_id == person_id
    if who.worker_id is None:
        return False
    query = select(Person.id).where(Person.id == person_id)
    if scope is Scope.caseload:
        query = query.where(caseload_clause(who.worker_id))
    elif scope is Scope.jurisdiction and who.area_path:
        query = query.join(Area, Area.id == Person.area_id).where(within(Area.path, who.area_path))
    else:
        return False
    return session.scalar(query) is not None


def may(session: Session, who: Identity, action: Action, person_id: int, *, now: datetime) -> bool:
    """True if `who` may do `action` on the person; a refusal is audited and says nothing more."""
    scope = scope_of(who.principal, action)
    allowed = scope is not None and person_in_scope(session, who, scope, person_id)
    if not allowed:
        # record_id has no foreign key, so probes for ids that do not exist are kept too.
        audit(session, who.actor, "refused", "person", person_id, at=now, detail=str(action))
    return allowed
