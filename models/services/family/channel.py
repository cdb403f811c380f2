"""The family channel (家属): who answers a family, their contact card, joining and leaving.

A family member sees exactly one thing about the case: who their worker is and how to reach
them. Everything here takes the caller's Identity and answers with frozen views, never rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.access import Action
from models.areas import LEVEL_ORDER, Area, AreaLevel
from models.audit import Actor, audit
from models.people import CareAssignment, CaseRole, FamilyMember, Person, Worker
from models.services.directory.delegation import delegate_of
from models.services.directory.invites import NewInvite, invite_family
from models.services.identity import Identity
from models.services.rights import caseload_clause, may

# The relations a worker picks from when inviting (stored as the Chinese term, as the CLI does).
RELATIONS = ("父亲", "母亲", "配偶", "子女", "兄弟姐妹", "其他亲属")


@dataclass(frozen=True)
class ContactCard:
    """What a family sees of their worker: name, work phone, office hours, the community station."""

    name: str
    role: str
    work_phone: str | None
    office_hours: str | None
    station_name: str | None
    station_address: str | None
    standing_in_for: str | None = None  # the responsible worker's name while a colleague covers


def _team(session: Session, person_id: int, part: CaseRole) -> list[Worker]:
    """The active workers in this part of the person's care team, first assigned first."""
    return list(
        session.scalars(
            select(Worker)
            .join(CareAssignment, CareAssignment.worker_id == Worker.id)
            .where(
                CareAssignment.person_id == person_id,
                CareAssignment.case_role == part,
                Worker.active.is_(True),
            )
            .order_by(CareAssignment.id)
        )
    )


def _responsible(session: Session, person_id: int) -> Worker | None:
    return next(iter(_team(session, person_id, CaseRole.responsible)), None)


def _delegate(session: Session, worker_id: int, person_id: int, today: date) -> Worker | None:
    """The colleague covering for a worker on leave (/delegate), if the rights rules give them this person."""
    delegate_id = delegate_of(session, worker_id, today)
    delegate = session.get(Worker, delegate_id) if delegate_id is not None else None
    if delegate is None or not delegate.active:
        return None
    # Route to the delegate only if they may answer, so a family is never relayed to someone who
    # cannot reply.
    in_care = session.scalar(
        select(Person.id).where(Person.id == person_id, caseload_clause(delegate.id, today))
    )
    return delegate if in_care is not None else None


def handling_worker(session: Session, person_id: int, *, today: date) -> tuple[Worker | None, Worker | None]:
    """(who answers the family today, the responsible worker): the delegate while the latter is on leave."""
    responsible = _responsible(session, person_id)
    if responsible is None:
        return None, None
    return _delegate(session, responsible.id, person_id, today) or responsible, responsible


def ancestors(session: Session, area_id: int) -> list[Area]:
    """The area and every area above it, nearest first."""
    area = session.get(Area, area_id)
    if area is None:
        return []
    codes = area.path.strip("/").split("/")
    found = session.scalars(select(Area).where(Area.code.in_(codes))).all()
    return sorted(found, key=lambda a: len(a.path), reverse=True)


def community_of(session: Session, area_id: int) -> Area | None:
    """The community (社区) an area lies in, or the nearest area above the grid level."""
    limit = LEVEL_ORDER.index(AreaLevel.community)
    return next((a for a in ancestors(session, area_id) if LEVEL_ORDER.index(a.level) <= limit), None)


def station_of(session: Session, area_id: int) -> Area | None:
    """The community station of a worker's area: its community, or the nearest area above with an address."""
    limit = LEVEL_ORDER.index(AreaLevel.community)
    return next(
        (a for a in ancestors(session, area_id) if LEVEL_ORDER.index(a.level) <= limit and a.address),
        None,
    )


def card_of(session: Session, worker: Worker, responsible: Worker | None = None) -> ContactCard:
    """The contact card of a worker (naming whom they cover for, if anyone)."""
    station = station_of(session, worker.area_id)
    return ContactCard(
        name=worker.name,
        role=str(worker.role),
        work_phone=worker.work_phone,
        office_hours=worker.office_hours,
        station_name=station.name if station else None,
        station_address=station.address if station else None,
        standing_in_for=responsible.name if responsible is not None and responsible.id != worker.id else None,
    )


def contact_cards(session: Session, who: Identity, *, now: datetime, today: date) -> tuple[ContactCard, ...]:
    """/contact: the care team a family may reach: the worker who answers today, then the team's 专干."""
    if who.person_id is None:
        return ()
    worker, responsible = handling_worker(session, who.person_id, today=today)
    team = [worker] if worker is not None else []
    cadres = _team(session, who.person_id, CaseRole.cadre)  # the worker and 专干 only: never police
    team += [c for c in cadres if c.id not in {w.id for w in team}]
    for member in team:
        audit(session, who.actor, "read", "contact_card", member.id, at=now, person_id=who.person_id)
    return tuple(card_of(session, member, responsible if member is worker else None) for member in team)


def relation_of(session: Session, family_member_id: int) -> str:
    return session.scalar(select(FamilyMember.relation).where(FamilyMember.id == family_member_id)) or ""


def person_name(session: Session, person_id: int) -> str:
    return session.scalar(select(Person.name).where(Person.id == person_id)) or ""


@dataclass(frozen=True)
class Departure:
    """A family member left the channel (/stop): whom to tell."""

    worker_chat_id: int | None
    person_id: int
    person_name: str
    relation: str


def leave_channel(session: Session, who: Identity, *, now: datetime, today: date) -> Departure | None:
    """/stop: unlink the caller's account from the family channel; audited."""
    if who.family_member_id is None or who.person_id is None:
        return None
    session.execute(
        update(FamilyMember)
        .where(FamilyMember.id == who.family_member_id)
        .values(active=False, telegram_user_id=None)
    )
    audit(
        session, who.actor, "unlink", "family_member", who.family_member_id, at=now, person_id=who.person_id
    )
    worker, _ = handling_worker(session, who.person_id, today=today)
    return Departure(
        worker_chat_id=worker.telegram_user_id if worker else None,
        person_id=who.person_id,
        person_name=person_name(session, who.person_id),
        relation=relation_of(session, who.family_member_id),
    )


def invite_for_person(
    session: Session, who: Identity, person_id: int, relation: str, *, now: datetime
) -> NewInvite | None:
    """A worker invites a relative of a person in their care (None if they may not)."""
    if not may(session, who, Action.invite_family, person_id, now=now):
        return None
    code = session.scalar(select(Person.code).where(Person.id == person_id))
    assert code is not None  # may() found the person
    return invite_family(session, code, relation, actor=who.actor, now=now)


def invitable_person(session: Session, who: Identity, person_id: int, *, now: datetime) -> str | None:
    """The name of a person the caller may invite a relative for (None if they may not)."""
    if not may(session, who, Action.invite_family, person_id, now=now):
        return None
    return person_name(session, person_id)


@dataclass(frozen=True)
class FamilyChat:
    family_member_id: int
    chat_id: int


def family_chats(session: Session, person_id: int) -> list[FamilyChat]:
    """The linked, active family accounts of a person."""
    rows = session.execute(
        select(FamilyMember.id, FamilyMember.telegram_user_id).where(
            FamilyMember.person_id == person_id,
            FamilyMember.active.is_(True),
            FamilyMember.verified.is_(True),
            FamilyMember.telegram_user_id.is_not(None),
        )
    ).all()
    # The query keeps linked accounts only.
    return [FamilyChat(fid, chat) for fid, chat in rows if chat is not None]


@dataclass(frozen=True)
class Reassignment:
    """A person got a new responsible worker: the families to tell and the new card."""

    card: ContactCard
    families: tuple[FamilyChat, ...]


def on_reassigned(
    session: Session, person_id: int, *, new_worker_id: int, now: datetime
) -> Reassignment | None:
    """What the family channel must announce after `set_responsible` gave a person a new worker."""
    worker = session.get(Worker, new_worker_id)
    if worker is None or not worker.active:
        return None
    families = tuple(family_chats(session, person_id))
    for family in families:
        audit(
            session,
            Actor.system(),
            "notify",
            "contact_card",
            worker.id,
            at=now,
            person_id=person_id,
            detail=f"family_member={family.family_member_id}",
        )
    return Reassignment(card_of(session, worker), families)
