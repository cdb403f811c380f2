"""A case's life (issue 14 §1): status changes proposed by the care team and confirmed, applied once.

A worker (or the case's cadre or police officer) proposes a change with its date and reason: a
`CaseChange` row waiting with `decided_at` NULL. Whom it asks (`confirmers`) is the nearest cadre and
police officer (models.services.alerts.routing.route), the proposer excepted; a transfer asks the
receiving grid's linked grid workers instead (models.services.casework.transfer). The first decision
counts; confirming applies the change in the same unit of work (`apply`), audited. 失联 alerts the
cadre and police at once, when it is reported, and is recorded as an alert (kind `lost_contact`).

Obligations follow the status (models.people.ACTIVE_STATUSES): they stop in isolation, while 失联
(they pause: nothing falls due while nobody can meet the person, and 恢复联系 brings the status
before back, so they resume) and for good once the case is closed (CLOSED_STATUSES: read-only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.access import Action
from models.audit import audit
from models.casework import CaseChange, CaseChangeKind
from models.people import CLOSED_STATUSES, FamilyMember, Person, Role, Status, Worker
from models.services.alerts.routing import LOST_CONTACT_ROLES, Routing, record_alert, route
from models.services.identity import Identity
from models.services.rights import may

K = CaseChangeKind
CONFIRM_ROLES = (Role.cadre, Role.police)  # who confirms a status change (the matrix: confirm_case_change)
LOST_CONTACT_ALERT = "lost_contact"
DIRECT_KINDS = (K.agreement, K.file_complete)  # applied at once, no confirmation

# Which changes a status allows, in menu order.
_OFFERED: dict[Status, tuple[CaseChangeKind, ...]] = {
    Status.community_detox: (K.isolation, K.lost_contact, K.transfer, K.discharge, K.deceased),
    Status.community_rehab: (K.isolation, K.lost_contact, K.transfer, K.discharge, K.deceased),
    Status.compulsory_isolation: (K.release, K.deceased),
    Status.lost_contact: (K.found, K.isolation, K.deceased),
}
# The status a confirmed change sets (found: the status before the 失联; transfer: unchanged).
_TO_STATUS = {
    K.isolation: Status.compulsory_isolation,
    K.release: Status.community_rehab,
    K.lost_contact: Status.lost_contact,
    K.discharge: Status.released,
    K.deceased: Status.deceased,
}


def offered_kinds(status: Status) -> tuple[CaseChangeKind, ...]:
    """The changes one may propose for a person in this status (none once the case is closed)."""
    return _OFFERED.get(status, ())


@dataclass(frozen=True)
class ChangeView:
    """A proposal as templates see it (the person by code only)."""

    id: int
    person_id: int
    code: str
    kind: CaseChangeKind
    effective_on: date
    reason: str | None
    expected_release: date | None
    to_area: str | None
    accepted: bool | None


def _view(session: Session, row: CaseChange) -> ChangeView:
    from models.areas import Area

    code = session.scalar(select(Person.code).where(Person.id == row.person_id)) or ""
    area = session.get(Area, row.to_area_id) if row.to_area_id is not None else None
    return ChangeView(
        row.id,
        row.person_id,
        code,
        row.kind,
        row.effective_on,
        row.reason,
        row.expected_release,
        area.name if area else None,
        row.accepted,
    )


@dataclass(frozen=True)
class Proposed:
    change: ChangeView
    asked: Routing  # who is asked to confirm (or, for 失联, also alerted)


def confirmers(
    session: Session, who: Identity, person_id: int, kind: CaseChangeKind, to_area_id: int | None
) -> Routing:
    """Who would be asked to confirm this change now (the confirm screen says the same)."""
    if kind is K.transfer:
        from models.services.casework.transfer import receivers

        return receivers(session, to_area_id)
    roles = LOST_CONTACT_ROLES if kind is K.lost_contact else CONFIRM_ROLES
    return route(session, person_id, roles, exclude=who.worker_id)


def propose(
    session: Session,
    who: Identity,
    person_id: int,
    kind: CaseChangeKind,
    *,
    effective_on: date,
    reason: str,
    now: datetime,
    today: date,
    expected_release: date | None = None,
    to_area_id: int | None = None,
) -> Proposed | None:
    """File a proposal (None: not allowed, or not a change this person's status allows)."""
    if who.worker_id is None or not may(
        session, who, Action.propose_case_change, person_id, now=now, today=today
    ):
        return None
    person = session.get(Person, person_id)
    if person is None or kind not in offered_kinds(person.status):
        return None
    if kind is K.transfer and (to_area_id is None or to_area_id == person.area_id):
        return None
    row = CaseChange(
        person_id=person_id,
        kind=kind,
        effective_on=effective_on,
        reason=reason[:200],
        from_status=str(person.status),
        from_area_id=person.area_id,
        to_area_id=to_area_id if kind is K.transfer else None,
        expected_release=expected_release if kind is K.isolation else None,
        proposed_by=who.worker_id,
        proposed_at=now,
    )
    session.add(row)
    session.flush()
    audit(session, who.actor, "propose", "case_change", row.id, at=now, person_id=person_id, detail=str(kind))
    asked = confirmers(session, who, person_id, kind, row.to_area_id)
    if kind is K.lost_contact:
        record_alert(session, LOST_CONTACT_ALERT, row.id, person_id, asked, now=now)
    return Proposed(_view(session, row), asked)


def record_direct(
    session: Session,
    who: Identity,
    person_id: int,
    kind: CaseChangeKind,
    *,
    effective_on: date,
    now: datetime,
    today: date,
    term_months: int | None = None,
) -> ChangeView | None:
    """签协议 or 建档: saved decided and applied at once (None: not allowed or the case is closed)."""
    if kind not in DIRECT_KINDS or who.worker_id is None:
        return None
    if not may(session, who, Action.propose_case_change, person_id, now=now, today=today):
        return None
    person = session.get(Person, person_id)
    if person is None or person.status in CLOSED_STATUSES:
        return None
    row = CaseChange(
        person_id=person_id,
        kind=kind,
        effective_on=effective_on,
        term_months=term_months if kind is K.agreement else None,
        proposed_by=who.worker_id,
        proposed_at=now,
        decided_by=who.worker_id,
        decided_at=now,
        accepted=True,
    )
    session.add(row)
    if kind is K.agreement:
        person.agreement_signed_on, person.updated_at = effective_on, now
    session.flush()
    audit(session, who.actor, "create", "case_change", row.id, at=now, person_id=person_id, detail=str(kind))
    return _view(session, row)


@dataclass(frozen=True)
class Decided:
    outcome: str  # confirmed, refused, already, outdated (the status moved on), not_allowed
    change: ChangeView | None = None
    proposer_chat: int | None = None
    family_chats: tuple[int, ...] = ()  # a discharge: the linked, consented family to tell
    moved_from: tuple[int, ...] = ()  # a transfer: the care-team members replaced (their chats)


def decide(
    session: Session, who: Identity, change_id: int, accept: bool, *, now: datetime, today: date
) -> Decided:
    """Confirm or refuse a proposal; the first decision counts. Confirming applies it at once."""
    row = session.get(CaseChange, change_id)
    if row is None or row.kind in DIRECT_KINDS or not _may_decide(session, who, row, now=now, today=today):
        if row is None:
            audit(session, who.actor, "refused", "case_change", change_id, at=now, detail="decide")
        return Decided("not_allowed")
    if row.decided_at is not None:
        return Decided("already", _view(session, row))
    person = session.get(Person, row.person_id)
    assert person is not None
    if accept and row.kind not in offered_kinds(person.status):  # another change came first
        return Decided("outdated", _view(session, row))
    row.decided_at, row.decided_by, row.accepted = now, who.worker_id, accept
    moved: tuple[int, ...] = ()
    family: tuple[int, ...] = ()
    if accept:
        moved = apply(session, who, row, person, now=now)
        if row.kind is K.discharge:
            family = _family_chats(session, person.id)
    outcome = "confirmed" if accept else "refused"
    audit(
        session, who.actor, outcome, "case_change", row.id, at=now, person_id=person.id, detail=str(row.kind)
    )
    chat = session.scalar(
        select(Worker.telegram_user_id).where(Worker.id == row.proposed_by, Worker.active.is_(True))
    )
    return Decided(outcome, _view(session, row), chat, family, moved)


def _may_decide(session: Session, who: Identity, row: CaseChange, *, now: datetime, today: date) -> bool:
    if who.worker_id is None or who.worker_id == row.proposed_by:
        audit(session, who.actor, "refused", "case_change", row.id, at=now, person_id=row.person_id)
        return False
    if row.kind is K.transfer:
        from models.services.casework.transfer import may_accept

        return may_accept(session, who, row, now=now)
    return may(session, who, Action.confirm_case_change, row.person_id, now=now, today=today)


def apply(
    session: Session, who: Identity, row: CaseChange, person: Person, *, now: datetime
) -> tuple[int, ...]:
    """Make the confirmed change (the caller audits the decision); a transfer returns who was replaced."""
    row.from_status = str(person.status)
    if row.kind is K.transfer:
        from models.services.casework.transfer import move

        return move(session, who, row, person, now=now)
    if row.kind is K.found:
        before = session.scalar(
            select(CaseChange.from_status)
            .where(
                CaseChange.person_id == person.id,
                CaseChange.kind == K.lost_contact,
                CaseChange.accepted.is_(True),
            )
            .order_by(CaseChange.decided_at.desc(), CaseChange.id.desc())
        )
        status = Status(before) if before and before != Status.lost_contact else Status.community_rehab
    else:
        status = _TO_STATUS[row.kind]
    person.status = status
    if row.kind is K.isolation:
        person.release_date = row.expected_release
    elif row.kind is K.release:
        person.release_date = row.effective_on  # the 15-day registration deadline starts here
    elif row.kind is K.discharge:
        person.programme_end = row.effective_on
    person.updated_at = now
    row.to_status = str(status)
    audit(
        session,
        who.actor,
        "update",
        "person",
        person.id,
        at=now,
        person_id=person.id,
        detail=f"status={status}",
    )
    return ()


def _family_chats(session: Session, person_id: int) -> tuple[int, ...]:
    rows = session.scalars(
        select(FamilyMember.telegram_user_id).where(
            FamilyMember.person_id == person_id,
            FamilyMember.active.is_(True),
            FamilyMember.verified.is_(True),
            FamilyMember.consented_at.is_not(None),
            FamilyMember.telegram_user_id.is_not(None),
        )
    )
    return tuple(r for r in rows if r is not None)


def open_changes(session: Session, person_id: int) -> list[ChangeView]:
    """The person's proposals still waiting for a decision."""
    rows = session.scalars(
        select(CaseChange).where(CaseChange.person_id == person_id, CaseChange.decided_at.is_(None))
    )
    return [_view(session, r) for r in rows]
