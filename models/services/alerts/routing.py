"""Whom an alert reaches: for each role it names, the nearest linked person of that role.

One function, `route`, serves every alert (a positive, refused or missed test, relapse signs on
a visit, a family's urgent call, its escalation) and the confirm screens that promise it, so what
a screen says will be told is what is told. For each role: the person's own care team first
(a linked, active member in that part), else the nearest area up the grid tree (grid →
community → town → county → city) that has a linked, active worker of the role; all of them at
that level. A role nobody could be found for is "unreached": the alert is still recorded
(`record_alert`), the sender is told, and supervisors see it in their digest until it is routed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.alerts import AlertLog
from models.areas import Area
from models.people import CareAssignment, CaseRole, Person, Role, Worker

# The care-team part that answers for a role before the grid tree is searched.
_TEAM_PART = {
    Role.grid_worker: CaseRole.responsible,
    Role.cadre: CaseRole.cadre,
    Role.police: CaseRole.police,
}

TEST_ROLES = (Role.cadre, Role.police, Role.supervisor)  # a positive, refused or missed test; relapse signs
URGENT_ROLES = (Role.grid_worker, Role.cadre, Role.police)  # a family's urgent call
ESCALATION_ROLES = (Role.supervisor,)  # an urgent call nobody took
LOST_CONTACT_ROLES = (Role.cadre, Role.police)  # two visits in a row that did not find the person


@dataclass(frozen=True)
class Reached:
    """A linked staff member an alert goes to, in the role they receive it for."""

    worker_id: int
    chat_id: int
    name: str
    role: Role
    on_team: bool  # on the person's care team (else found up the grid tree)


@dataclass(frozen=True)
class Routing:
    """Who is told (`reached`), and the roles nobody linked could be found for (`unreached`)."""

    reached: tuple[Reached, ...]
    unreached: tuple[Role, ...]

    @property
    def complete(self) -> bool:
        return not self.unreached


def _ancestor_paths(path: str) -> list[str]:
    codes = path.strip("/").split("/")
    return ["/" + "/".join(codes[: n + 1]) + "/" for n in range(len(codes))]


def route(
    session: Session,
    person_id: int,
    roles: Sequence[Role],
    *,
    exclude: int | None = None,
    preferred: Mapping[Role, Worker | None] | None = None,
) -> Routing:
    """For each role, the nearest linked, active people of it (care team first, then up the tree).

    `exclude` is the sender: they are never told their own alert, and a role they were found for
    counts as reached (they know). `preferred` names who answers for a role before the care team
    (the family's worker of the day, a delegate while the responsible worker is on leave).
    """
    path = session.scalar(
        select(Area.path).join(Person, Person.area_id == Area.id).where(Person.id == person_id)
    )
    if path is None:
        return Routing((), tuple(roles))
    team = _team(session, person_id, [_TEAM_PART[r] for r in roles if r in _TEAM_PART])
    tree = _tree(session, path, roles)
    reached: dict[int, Reached] = {}
    unreached: list[Role] = []
    for role in roles:
        chosen = _linked_preferred(preferred, role)
        if chosen is None:
            part = _TEAM_PART.get(role)
            chosen = [w for w in team if part is not None and w[4] == part]
        if not chosen:
            chosen = tree.get(role, [])
        if not chosen:
            unreached.append(role)
            continue
        for worker_id, chat_id, name, _path, part in chosen:
            if worker_id != exclude:
                reached.setdefault(worker_id, Reached(worker_id, chat_id, name, role, part is not None))
    return Routing(tuple(reached.values()), tuple(unreached))


_Row = tuple[int, int, str, str, CaseRole | None]  # id, chat, name, area path, care-team part


def _linked_preferred(preferred: Mapping[Role, Worker | None] | None, role: Role) -> list[_Row] | None:
    worker = (preferred or {}).get(role)
    if worker is None or not worker.active or worker.telegram_user_id is None:
        return None
    return [(worker.id, worker.telegram_user_id, worker.name, "", _TEAM_PART.get(role))]


def _team(session: Session, person_id: int, parts: list[CaseRole]) -> list[_Row]:
    if not parts:
        return []
    rows = session.execute(
        select(Worker.id, Worker.telegram_user_id, Worker.name, CareAssignment.case_role)
        .join(CareAssignment, CareAssignment.worker_id == Worker.id)
        .where(
            CareAssignment.person_id == person_id,
            CareAssignment.case_role.in_(parts),
            Worker.active.is_(True),
            Worker.telegram_user_id.is_not(None),
        )
        .order_by(Worker.id)
    )
    # The query keeps linked workers only; the check tells the type checker the chat is there.
    return [(w, chat, name, "", part) for w, chat, name, part in rows if chat is not None]


def _tree(session: Session, path: str, roles: Iterable[Role]) -> dict[Role, list[_Row]]:
    """Per role, the linked, active workers of the deepest ancestor area (or the area) that has any."""
    rows = session.execute(
        select(Worker.id, Worker.telegram_user_id, Worker.name, Area.path, Worker.role)
        .join(Area, Area.id == Worker.area_id)
        .where(
            Worker.role.in_(list(roles)),
            Worker.active.is_(True),
            Worker.telegram_user_id.is_not(None),
            Area.path.in_(_ancestor_paths(path)),
        )
        .order_by(Worker.id)
    ).all()
    found: dict[Role, list[_Row]] = {}
    for role in {r.role for r in rows}:
        mine = [r for r in rows if r.role == role]
        deepest = max(len(r.path) for r in mine)
        found[role] = [
            (r.id, r.telegram_user_id, r.name, r.path, None) for r in mine if len(r.path) == deepest
        ]
    return found


# -- the record ------------------------------------------------------------------------------


def record_alert(
    session: Session, kind: str, source_id: int, person_id: int, routing: Routing, *, now: datetime
) -> AlertLog:
    """Keep the alert as routed, once per (kind, source); a repeat updates who is still missing."""
    entry = session.scalar(select(AlertLog).where(AlertLog.kind == kind, AlertLog.source_id == source_id))
    if entry is None:
        area_id = session.scalar(select(Person.area_id).where(Person.id == person_id))
        assert area_id is not None, "an alert is about a person who exists"
        entry = AlertLog(kind=kind, source_id=source_id, person_id=person_id, area_id=area_id, created_at=now)
        session.add(entry)
    entry.notified = (entry.notified or 0) + len(routing.reached)
    entry.unrouted = ",".join(str(r) for r in routing.unreached)
    if routing.complete and entry.routed_at is None:
        entry.routed_at = now
    session.flush()
    return entry
