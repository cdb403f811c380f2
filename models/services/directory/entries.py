"""Creating and updating the directory: areas, workers, persons and care teams (by code, idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.areas import Area, AreaLevel, child_path
from models.audit import Actor, audit
from models.crypto import KeyRing
from models.people import CareAssignment, CaseRole, Colour, ColourChange, Person, Role, Status, Worker
from models.sealing import seal_fields
from models.services.directory.links import restart_worker_link
from models.services.reminders.joiners import mark_joined


class NotFound(LookupError):
    """A code names nothing (or nothing the caller may see)."""


def pinyin_initials(name: str) -> str:
    """'张三' → 'zs'; letters and digits pass through, lower-cased."""
    # Imported here: pypinyin's phrase dictionary costs every bot process ~60 MB at start-up.
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()[:20]


def area_by_code(session: Session, code: str) -> Area:
    area = session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound(f"area {code}")
    return area


@dataclass(frozen=True)
class AreaData:
    code: str
    name: str
    level: AreaLevel
    parent_code: str | None = None
    address: str | None = None


def upsert_area(session: Session, data: AreaData) -> tuple[Area, bool]:
    """Create or update an area by code; returns (area, created)."""
    parent = area_by_code(session, data.parent_code) if data.parent_code else None
    area = session.scalar(select(Area).where(Area.code == data.code))
    created = area is None
    if area is None:
        area = Area(code=data.code)
        session.add(area)
    area.name, area.level, area.address = data.name, data.level, data.address
    area.parent_id = parent.id if parent else None
    area.path = child_path(parent.path if parent else None, data.code)
    session.flush()
    return area, created


@dataclass(frozen=True)
class WorkerData:
    code: str
    name: str
    role: Role
    area_code: str
    work_phone: str | None = None
    office_hours: str | None = None
    active: bool = True


def upsert_worker(
    session: Session, data: WorkerData, *, actor: Actor | None = None, now: datetime | None = None
) -> tuple[Worker, bool]:
    """Create or update a worker by code; returns (worker, created).

    Deactivating or reactivating an existing worker also ends their Telegram link and unused
    invites (models.services.directory.links), audited: that needs `actor` and `now`.
    """
    area = area_by_code(session, data.area_code)
    worker = session.scalar(select(Worker).where(Worker.code == data.code))
    created = worker is None
    if worker is None:
        worker = Worker(code=data.code, active=data.active)
        session.add(worker)
    worker.name, worker.role, worker.area_id = data.name, data.role, area.id
    worker.work_phone, worker.office_hours = data.work_phone, data.office_hours
    session.flush()
    # An inactive worker still holding a link is data from before links were ended on deactivation.
    if worker.active != data.active or (not data.active and worker.telegram_user_id is not None):
        if actor is None or now is None:
            raise ValueError(f"changing whether worker {data.code} is active is audited: pass actor and now")
        restart_worker_link(session, worker, active=data.active, actor=actor, now=now, why="import")
    return worker, created


@dataclass(frozen=True)
class PersonData:
    code: str
    name: str
    area_code: str
    status: Status
    colour: Colour
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    registered_on: date | None = None
    agreement_signed_on: date | None = None
    programme_start: date | None = None
    programme_end: date | None = None
    release_date: date | None = None
    responsible_worker_code: str | None = None


SENSITIVE_FIELDS = ("id_number", "phone", "address")


def upsert_person(
    session: Session, data: PersonData, *, keys: KeyRing, actor: Actor, now: datetime
) -> tuple[Person, bool]:
    """Create or update a person by code, sealing sensitive fields; audited, colour history kept."""
    area = area_by_code(session, data.area_code)
    person = session.scalar(select(Person).where(Person.code == data.code))
    created = person is None
    if person is None:
        person = Person(code=data.code, created_at=now, colour=data.colour)
        session.add(person)
    old_colour = None if created else person.colour
    person.name, person.initials = data.name, pinyin_initials(data.name)
    person.area_id, person.status = area.id, data.status
    person.registered_on, person.agreement_signed_on = data.registered_on, data.agreement_signed_on
    person.programme_start, person.programme_end = data.programme_start, data.programme_end
    person.release_date, person.updated_at = data.release_date, now
    session.flush()  # a new person gets its id, which the sealed fields are bound to
    seal_fields(session, keys, person, {field: getattr(data, field) for field in SENSITIVE_FIELDS})
    if created or old_colour != data.colour:
        change_colour(session, person, data.colour, reason="import", actor=actor, now=now, old=old_colour)
    if data.responsible_worker_code:
        worker = session.scalar(select(Worker).where(Worker.code == data.responsible_worker_code))
        if worker is None:
            raise NotFound(f"worker {data.responsible_worker_code}")
        if set_responsible(session, person, worker):  # their day's notices now include this person
            mark_joined(session, [worker.id], now=now)
    audit(session, actor, "create" if created else "update", "person", person.id, at=now, person_id=person.id)
    return person, created


def change_colour(
    session: Session,
    person: Person,
    colour: Colour,
    *,
    reason: str,
    actor: Actor,
    now: datetime,
    old: Colour | None = None,
) -> None:
    """Set a person's colour and keep the change (when, from, to, why, who)."""
    session.add(
        ColourChange(
            person_id=person.id,
            changed_at=now,
            from_colour=old,
            to_colour=colour,
            reason=reason,
            changed_by=actor.id if actor.kind == "worker" else None,
        )
    )
    person.colour = colour


def set_responsible(session: Session, person: Person, worker: Worker) -> bool:
    """Make `worker` the one responsible worker of `person` (replacing any other); False if they were."""
    current = session.scalars(
        select(CareAssignment).where(
            CareAssignment.person_id == person.id, CareAssignment.case_role == CaseRole.responsible
        )
    ).all()
    if any(a.worker_id == worker.id for a in current):
        return False
    for assignment in current:
        session.delete(assignment)
    session.flush()
    session.add(CareAssignment(person_id=person.id, worker_id=worker.id, case_role=CaseRole.responsible))
    session.flush()
    return True


def assign(session: Session, person: Person, worker: Worker, case_role: CaseRole) -> None:
    """Add a worker to a person's care team in a role (no-op if already there)."""
    exists = session.scalar(
        select(CareAssignment.id).where(
            CareAssignment.person_id == person.id,
            CareAssignment.worker_id == worker.id,
            CareAssignment.case_role == case_role,
        )
    )
    if exists is None:
        session.add(CareAssignment(person_id=person.id, worker_id=worker.id, case_role=case_role))
