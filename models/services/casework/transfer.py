"""转出/转入: a person moved to another grid, accepted by that grid's linked grid worker.

The receiving grid's linked, active grid workers are asked (`receivers`); a supervisor over that
grid may accept as well (Action.accept_transfer, jurisdiction of the receiving grid). On accepting,
`move` changes the person's area; the responsible part of the care team moves to the accepting
worker, and cadre and police members whose area does not cover the new grid are replaced by the
nearest ones of it (models.services.alerts.routing.route, the grid tree). Family links hang on the
person and follow. Both sides are audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.access import Action, scope_of
from models.areas import Area
from models.audit import audit
from models.casework import CaseChange
from models.people import CareAssignment, CaseRole, Person, Role, Worker
from models.services.alerts.routing import Reached, Routing, route
from models.services.identity import Identity

_MOVING_PARTS = {CaseRole.cadre: Role.cadre, CaseRole.police: Role.police}
_PART_OF = {role: part for part, role in _MOVING_PARTS.items()}


def receivers(session: Session, to_area_id: int | None) -> Routing:
    """The receiving grid's linked, active grid workers (unreached: nobody linked there)."""
    if to_area_id is None:
        return Routing((), (Role.grid_worker,))
    rows = session.execute(
        select(Worker.id, Worker.telegram_user_id, Worker.name)
        .where(
            Worker.area_id == to_area_id,
            Worker.role == Role.grid_worker,
            Worker.active.is_(True),
            Worker.telegram_user_id.is_not(None),
        )
        .order_by(Worker.id)
    ).all()
    reached = tuple(Reached(w, chat, name, Role.grid_worker, False) for w, chat, name in rows if chat)
    return Routing(reached, () if reached else (Role.grid_worker,))


def may_accept(session: Session, who: Identity, row: CaseChange, *, now: datetime) -> bool:
    """A grid worker or supervisor whose area covers the receiving grid (refusals audited)."""
    path = session.scalar(select(Area.path).where(Area.id == row.to_area_id))
    allowed = (
        scope_of(who.principal, Action.accept_transfer) is not None
        and who.area_path is not None
        and path is not None
        and path.startswith(who.area_path)
    )
    if not allowed:
        audit(
            session, who.actor, "refused", "person", row.person_id, at=now, detail=str(Action.accept_transfer)
        )
    return allowed


def move(
    session: Session, who: Identity, row: CaseChange, person: Person, *, now: datetime
) -> tuple[int, ...]:
    """Move the person and their care team; the chats of the members replaced (to tell them)."""
    assert row.to_area_id is not None
    new_path = session.scalar(select(Area.path).where(Area.id == row.to_area_id)) or ""
    person.area_id, person.updated_at = row.to_area_id, now
    team = session.execute(
        select(
            CareAssignment.id,
            CareAssignment.case_role,
            Worker.id.label("worker_id"),
            Worker.telegram_user_id,
            Area.path,
        )
        .join(Worker, Worker.id == CareAssignment.worker_id)
        .join(Area, Area.id == Worker.area_id)
        .where(CareAssignment.person_id == person.id)
    ).all()
    outside = [t for t in team if t.case_role in _MOVING_PARTS and not new_path.startswith(t.path)]
    if outside:  # cadre and police who do not cover the new grid: the new area's nearest replace them
        session.execute(delete(CareAssignment).where(CareAssignment.id.in_([t.id for t in outside])))
        session.flush()
        found = route(session, person.id, [_MOVING_PARTS[t.case_role] for t in outside])
        for new in found.reached:
            session.add(
                CareAssignment(person_id=person.id, worker_id=new.worker_id, case_role=CaseRole(new.role))
            )
        # A part nobody linked could be found for keeps its old member rather than nobody.
        kept = {_PART_OF[r] for r in found.unreached}
        for t in outside:
            if t.case_role in kept:
                session.add(CareAssignment(person_id=person.id, worker_id=t.worker_id, case_role=t.case_role))
        outside = [t for t in outside if t.case_role not in kept]
    leaving = list(outside)
    if who.principal == Role.grid_worker.value and who.worker_id is not None:
        responsible = [t for t in team if t.case_role is CaseRole.responsible]
        session.execute(delete(CareAssignment).where(CareAssignment.id.in_([t.id for t in responsible])))
        session.add(
            CareAssignment(person_id=person.id, worker_id=who.worker_id, case_role=CaseRole.responsible)
        )
        leaving += responsible
    session.flush()
    row.to_status = row.from_status
    for side in (row.from_area_id, row.to_area_id):
        audit(
            session,
            who.actor,
            "transfer",
            "person",
            person.id,
            at=now,
            person_id=person.id,
            detail=f"area={side}",
        )
    return tuple(
        t.telegram_user_id for t in leaving if t.telegram_user_id is not None and t.worker_id != who.worker_id
    )
