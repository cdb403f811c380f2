"""A worker leaving the job (离岗): unlinked at once, caseload handed to a named successor, audited.

The caller renders and queues the messages (the families of every person in `reassigned` get
their new worker's contact card, the successor is told what they took over), in the same unit of
work, from what is returned here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.casework import Delegation
from models.family import Direction, FamilyMessage
from models.people import CareAssignment, CaseRole, FamilyMember, Role, Worker
from models.services.directory.entries import NotFound
from models.services.directory.links import revoke_worker_invites, silence_chat
from models.services.reminders.joiners import mark_joined


class WorkforceError(ValueError):
    """The request makes no sense (same worker, inactive successor, another role); the message says why."""


class RoleMismatch(WorkforceError):
    """The successor has another role; allowed only when asked for explicitly (`any_role`)."""


@dataclass(frozen=True)
class NewWorker:
    """The successor as a family sees them on their contact card."""

    code: str
    name: str
    role: Role
    work_phone: str | None
    office_hours: str | None


@dataclass(frozen=True)
class FamilyNotice:
    """One linked family member whose responsible worker changed."""

    chat_id: int
    family_member_id: int
    person_id: int


@dataclass(frozen=True)
class Deactivation:
    worker_id: int
    worker_code: str
    worker_name: str
    successor_id: int
    successor_chat_id: int | None
    successor: NewWorker
    moved: int  # care assignments handed over
    persons: int  # people concerned
    was_linked: bool
    families: tuple[FamilyNotice, ...]
    reassigned: tuple[int, ...] = ()  # persons whose responsible worker is now the successor
    invites_revoked: int = 0  # unused invites of the worker, which would have linked a new account


def _worker(session: Session, code: str) -> Worker:
    worker = session.scalar(select(Worker).where(Worker.code == code))
    if worker is None:
        raise NotFound(f"worker {code}")
    return worker


def deactivate_worker(
    session: Session,
    worker_code: str,
    successor_code: str,
    *,
    actor: Actor,
    now: datetime,
    today: date,
    any_role: bool = False,
) -> Deactivation:
    """Deactivate and unlink a worker and move every care assignment of theirs to the successor.

    Their open form and the messages still queued to their chat (which may name people) are
    dropped and their unused invites revoked; delegations from or to them that have not ended are
    cancelled; family messages waiting for their answer go to the successor's inbox. Running it
    again moves what is left.
    """
    worker = _worker(session, worker_code)
    successor = _worker(session, successor_code)
    if successor.id == worker.id:
        raise WorkforceError("the successor must be another worker")
    if not successor.active:
        raise WorkforceError(f"the successor {successor.code} is not active")
    if successor.role != worker.role and not any_role:
        raise RoleMismatch(
            f"{worker.code} is {worker.role.value} but {successor.code} is {successor.role.value}"
        )
    old_chat = worker.telegram_user_id
    # One statement, so no moment exists where the account is unlinked but still active, or linked.
    session.execute(update(Worker).where(Worker.id == worker.id).values(active=False, telegram_user_id=None))
    if old_chat is not None:
        silence_chat(session, old_chat)
        audit(session, actor, "unlink", "worker", worker.id, at=now, detail="telegram account unlinked")
    # A leftover invite would link a stranger to the departed worker (and a later re-import would
    # hand that stranger the worker's jurisdiction): none survives the departure.
    revoked = revoke_worker_invites(session, worker.id, actor=actor, now=now)
    moved, responsible_for = _hand_over(session, worker, successor, actor=actor, now=now)
    if moved:  # the successor's notices of the day now include these people
        mark_joined(session, [successor.id], now=now)
    session.execute(
        update(Delegation)
        .where(
            or_(Delegation.from_worker_id == worker.id, Delegation.to_worker_id == worker.id),
            Delegation.cancelled.is_(False),
            Delegation.ends_on >= today,
        )
        .values(cancelled=True)
    )
    session.execute(
        update(FamilyMessage)
        .where(
            FamilyMessage.worker_id == worker.id,
            FamilyMessage.direction == Direction.from_family,
            FamilyMessage.answered_at.is_(None),
        )
        .values(worker_id=successor.id)
    )
    families = _families(session, responsible_for)
    audit(
        session,
        actor,
        "deactivate",
        "worker",
        worker.id,
        at=now,
        detail=f"successor=worker:{successor.id} moved={len(moved)} families={len(families)}",
    )
    return Deactivation(
        worker_id=worker.id,
        worker_code=worker.code,
        worker_name=worker.name,
        successor_id=successor.id,
        successor_chat_id=successor.telegram_user_id,
        successor=NewWorker(
            successor.code, successor.name, successor.role, successor.work_phone, successor.office_hours
        ),
        moved=len(moved),
        persons=len(set(moved)),
        was_linked=old_chat is not None,
        families=families,
        reassigned=tuple(sorted(responsible_for)),
        invites_revoked=revoked,
    )


def _hand_over(
    session: Session, worker: Worker, successor: Worker, *, actor: Actor, now: datetime
) -> tuple[list[int], set[int]]:
    """Move each assignment (same case role); returns the persons of moved assignments, and those
    the successor is now responsible for."""
    assignments = session.scalars(
        select(CareAssignment).where(CareAssignment.worker_id == worker.id).order_by(CareAssignment.id)
    ).all()
    held: set[tuple[int, CaseRole]] = {
        (person_id, case_role)
        for person_id, case_role in session.execute(
            select(CareAssignment.person_id, CareAssignment.case_role).where(
                CareAssignment.worker_id == successor.id
            )
        )
    }
    moved: list[int] = []
    responsible: set[int] = set()
    for assignment in assignments:
        key = (assignment.person_id, assignment.case_role)
        if key in held:
            session.delete(assignment)  # the successor already has this part in the team
        else:
            assignment.worker_id = successor.id
            held.add(key)
        moved.append(assignment.person_id)
        if assignment.case_role is CaseRole.responsible:
            responsible.add(assignment.person_id)
        audit(
            session,
            actor,
            "reassign",
            "care_assignment",
            assignment.id,
            at=now,
            person_id=assignment.person_id,
            detail=f"{assignment.case_role.value}: worker:{worker.id} -> worker:{successor.id}",
        )
    session.flush()
    return moved, responsible


def _families(session: Session, person_ids: set[int]) -> tuple[FamilyNotice, ...]:
    if not person_ids:
        return ()
    rows = session.execute(
        select(FamilyMember.telegram_user_id, FamilyMember.id, FamilyMember.person_id)
        .where(
            FamilyMember.person_id.in_(sorted(person_ids)),
            FamilyMember.active.is_(True),
            FamilyMember.verified.is_(True),
            FamilyMember.telegram_user_id.is_not(None),
        )
        .order_by(FamilyMember.id)
    ).all()
    # The query keeps linked accounts only.
    return tuple(FamilyNotice(chat, member, person) for chat, member, person in rows if chat is not None)
