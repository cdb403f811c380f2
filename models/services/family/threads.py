"""Reading the family channel (家属留言): a person's threads, a worker's /inbox, the digest's overdue list.

A thread is one family member's messages about one person. A family message is waiting while it
has no `answered_at`; a worker's reply answers every earlier message of that thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models.access import Action
from models.areas import Area, within
from models.audit import audit
from models.family import Direction, FamilyMessage
from models.people import CareAssignment, CaseRole, FamilyMember, Person, Worker
from models.services.family.channel import relation_of
from models.services.family.relay import excerpt
from models.services.identity import Identity
from models.services.rights import caseload_clause, may


@dataclass(frozen=True)
class ThreadMessage:
    id: int
    from_family: bool
    kind: str
    text: str | None
    created_at: datetime
    worker_name: str | None


@dataclass(frozen=True)
class Thread:
    """One family member's conversation about a person, newest messages last."""

    family_member_id: int
    relation: str
    linked: bool
    waiting: int  # messages from the family not answered yet
    messages: tuple[ThreadMessage, ...]
    reply_to: int | None  # the message a "reply" button answers


def family_threads(
    session: Session, who: Identity, person_id: int, *, now: datetime, limit: int = 5
) -> list[Thread] | None:
    """The family threads of a person with their last messages (None if the caller may not see them)."""
    if not may(session, who, Action.view_card, person_id, now=now):
        return None
    audit(session, who.actor, "read", "family_thread", person_id, at=now, person_id=person_id)
    members = session.scalars(
        select(FamilyMember).where(FamilyMember.person_id == person_id).order_by(FamilyMember.id)
    ).all()
    threads = []
    for member in members:
        rows = session.execute(
            select(FamilyMessage, Worker.name)
            .outerjoin(Worker, Worker.id == FamilyMessage.worker_id)
            .where(FamilyMessage.family_member_id == member.id)
            .order_by(FamilyMessage.created_at.desc(), FamilyMessage.id.desc())
            .limit(limit)
        ).all()
        if not rows and not member.verified:
            continue  # an invite never used is no thread
        messages = tuple(
            ThreadMessage(m.id, m.direction is Direction.from_family, m.kind, m.text, m.created_at, name)
            for m, name in reversed(rows)
        )
        waiting = sum(1 for m, _ in rows if m.direction is Direction.from_family and m.answered_at is None)
        last_in = next((m.id for m in reversed(messages) if m.from_family), None)
        linked = member.active and member.telegram_user_id is not None
        threads.append(
            Thread(member.id, member.relation, linked, waiting, messages, last_in if linked else None)
        )
    return threads


@dataclass(frozen=True)
class InboxLine:
    """A family thread waiting for the worker's answer."""

    person_id: int
    person_code: str
    person_name: str
    relation: str
    waiting: int
    oldest: datetime
    reply_to: int
    excerpt: str
    kind: str  # of the newest message: text, photo, voice, urgent


def inbox(session: Session, who: Identity, *, now: datetime, today: date) -> list[InboxLine]:
    """/inbox: threads with unanswered family messages relayed to the caller or about their own cases."""
    if who.worker_id is None:
        return []
    mine = or_(
        FamilyMessage.worker_id == who.worker_id,
        FamilyMessage.person_id.in_(
            select(CareAssignment.person_id).where(
                CareAssignment.worker_id == who.worker_id, CareAssignment.case_role == CaseRole.responsible
            )
        ),
    )
    groups = session.execute(
        select(
            FamilyMessage.family_member_id,
            func.count(),
            func.min(FamilyMessage.created_at),
            func.max(FamilyMessage.id),
        )
        .join(Person, Person.id == FamilyMessage.person_id)
        .where(
            FamilyMessage.direction == Direction.from_family,
            FamilyMessage.answered_at.is_(None),
            mine,
            caseload_clause(who.worker_id, today),
        )
        .group_by(FamilyMessage.family_member_id)
    ).all()
    lines = []
    for member_id, waiting, oldest, last_id in groups:
        last = session.get(FamilyMessage, last_id)
        person = session.get(Person, last.person_id) if last else None
        if last is None or person is None:
            continue
        relation = relation_of(session, member_id)
        line = InboxLine(
            person.id, person.code, person.name, relation, waiting, oldest, last_id, excerpt(last), last.kind
        )
        lines.append(line)
    audit(session, who.actor, "list", "family_inbox", who.worker_id, at=now, detail=f"n={len(lines)}")
    return sorted(lines, key=lambda line: line.oldest)


@dataclass(frozen=True)
class UnansweredMessage:
    """For the supervisor digest: a family message left unanswered too long."""

    message_id: int
    person_id: int
    person_code: str
    person_name: str
    worker_id: int | None
    worker_name: str | None
    created_at: datetime


def unanswered_family_messages(
    session: Session, area_path: str, older_than: timedelta, now: datetime
) -> list[UnansweredMessage]:
    """Family messages in the subtree at `area_path` unanswered for longer than `older_than`, oldest first."""
    rows = session.execute(
        select(
            FamilyMessage.id,
            Person.id,
            Person.code,
            Person.name,
            FamilyMessage.worker_id,
            Worker.name,
            FamilyMessage.created_at,
        )
        .join(Person, Person.id == FamilyMessage.person_id)
        .join(Area, Area.id == Person.area_id)
        .outerjoin(Worker, Worker.id == FamilyMessage.worker_id)
        .where(
            FamilyMessage.direction == Direction.from_family,
            FamilyMessage.answered_at.is_(None),
            FamilyMessage.created_at <= now - older_than,
            within(Area.path, area_path),
        )
        .order_by(FamilyMessage.created_at, FamilyMessage.id)
    ).all()
    return [UnansweredMessage(*row) for row in rows]
