"""Relayed messages between a family member and their worker (家属留言), in both directions.

The bot is the go-between, so neither side learns the other's Telegram account. A message is
stored first and relayed through the outbox; outside the worker's office hours it waits for the
next opening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TypedDict

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.access import Action
from models.audit import audit
from models.family import Direction, FamilyMessage
from models.family_hours import held_until
from models.people import FamilyMember, Worker
from models.policy import Policy
from models.services.family.answers import Answered, answer_by_reply
from models.services.family.channel import handling_worker, person_name, relation_of
from models.services.identity import Identity
from models.services.rights import may

HOUR = timedelta(hours=1)
EXCERPT = 60


class RelayStatus(StrEnum):
    relayed = "relayed"
    held = "held"  # over the hourly limit: not stored, not relayed
    no_worker = "no_worker"  # stored (the digest will show it) but nobody to relay it to


@dataclass(frozen=True)
class Relayed:
    status: RelayStatus
    message_id: int | None = None
    worker_chat_id: int | None = None
    available_at: datetime | None = None  # None: deliver now; else the worker's next office opening
    person_name: str = ""
    relation: str = ""


class _Names(TypedDict):
    """Who a relayed message is from, as Relayed shows it."""

    person_name: str
    relation: str


def sent_last_hour(session: Session, family_member_id: int, *, now: datetime) -> int:
    """How many messages this family member sent in the last hour (counted in SQL)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(FamilyMessage)
            .where(
                FamilyMessage.family_member_id == family_member_id,
                FamilyMessage.direction == Direction.from_family,
                FamilyMessage.created_at > now - HOUR,
            )
        )
        or 0
    )


def relay_from_family(
    session: Session,
    who: Identity,
    *,
    kind: str,
    text: str | None,
    file_id: str | None,
    now: datetime,
    policy: Policy,
) -> Relayed:
    """Store a family member's message for their worker and say where and when it goes."""
    assert who.family_member_id is not None and who.person_id is not None
    if sent_last_hour(session, who.family_member_id, now=now) >= policy.family_messages_per_hour:
        audit(session, who.actor, "held", "family_message", None, at=now, person_id=who.person_id)
        return Relayed(RelayStatus.held)
    worker, _ = handling_worker(session, who.person_id, today=policy.local_date(now))
    message = FamilyMessage(
        family_member_id=who.family_member_id,
        person_id=who.person_id,
        worker_id=worker.id if worker else None,
        direction=Direction.from_family,
        kind=kind,
        text=text,
        file_id=file_id,
        created_at=now,
    )
    session.add(message)
    session.flush()
    audit(session, who.actor, "create", "family_message", message.id, at=now, person_id=who.person_id)
    names: _Names = {
        "person_name": person_name(session, who.person_id),
        "relation": relation_of(session, who.family_member_id),
    }
    if worker is None:
        return Relayed(RelayStatus.no_worker, message.id, **names)
    later = held_until(worker.office_hours, now, tz=policy.tz, calendar=policy.calendar)
    return Relayed(RelayStatus.relayed, message.id, worker.telegram_user_id, later, **names)


@dataclass(frozen=True)
class ReplyTarget:
    """The family message a worker is answering, as the reply form shows it."""

    message_id: int
    family_member_id: int
    person_id: int
    person_name: str
    relation: str
    excerpt: str


def _message_in_reach(
    session: Session, who: Identity, message_id: int, *, now: datetime
) -> FamilyMessage | None:
    message = session.get(FamilyMessage, message_id)
    if message is None:
        # Audited like any refusal, so probing for ids leaves a trace and learns nothing.
        audit(session, who.actor, "refused", "family_message", message_id, at=now, detail="not found")
        return None
    if not may(session, who, Action.reply_family, message.person_id, now=now):
        return None
    return message


def reply_target(session: Session, who: Identity, message_id: int, *, now: datetime) -> ReplyTarget | None:
    """The thread a worker may answer from this message (None if not theirs to answer)."""
    message = _message_in_reach(session, who, message_id, now=now)
    if message is None:
        return None
    return ReplyTarget(
        message.id,
        message.family_member_id,
        message.person_id,
        person_name(session, message.person_id),
        relation_of(session, message.family_member_id),
        excerpt(message),
    )


@dataclass(frozen=True)
class FamilyReply:
    reply_id: int
    family_chat_id: int | None  # None: the family member has left the channel
    worker_name: str
    worker_role: str
    answered: tuple[Answered, ...] = ()  # the family's urgent alerts this reply answered


def send_reply(
    session: Session,
    who: Identity,
    message_id: int,
    text: str | None,
    *,
    now: datetime,
    today: date,
    photo_file_id: str | None = None,
) -> FamilyReply | None:
    """Store a worker's answer (text, or a photo by its file_id) to a family thread and mark the
    thread answered, and the family's open urgent alerts with it (rights re-checked)."""
    message = _message_in_reach(session, who, message_id, now=now)
    if message is None or who.worker_id is None:
        return None
    member = session.get(FamilyMember, message.family_member_id)
    assert member is not None
    reply = FamilyMessage(
        family_member_id=member.id,
        person_id=message.person_id,
        worker_id=who.worker_id,
        direction=Direction.to_family,
        kind="photo" if photo_file_id else "text",
        text=text,
        file_id=photo_file_id,
        created_at=now,
    )
    session.add(reply)
    session.execute(
        update(FamilyMessage)
        .where(
            FamilyMessage.family_member_id == member.id,
            FamilyMessage.direction == Direction.from_family,
            FamilyMessage.answered_at.is_(None),
            FamilyMessage.created_at <= now,
        )
        .values(answered_at=now, answered_by=who.worker_id)
    )
    session.flush()
    audit(session, who.actor, "create", "family_message", reply.id, at=now, person_id=message.person_id)
    answered = answer_by_reply(session, who, member.id, now=now, today=today)
    worker = session.get(Worker, who.worker_id)
    assert worker is not None
    linked = member.active and member.verified and member.telegram_user_id is not None
    chat = member.telegram_user_id if linked else None
    return FamilyReply(reply.id, chat, worker.name, str(worker.role), answered)


def media_of(session: Session, who: Identity, message_id: int, *, now: datetime) -> tuple[str, str] | None:
    """(kind, file_id) of a family photo or voice message the caller may see."""
    message = _message_in_reach(session, who, message_id, now=now)
    if message is None or message.file_id is None or message.direction is not Direction.from_family:
        return None
    audit(session, who.actor, "read", "family_message", message.id, at=now, person_id=message.person_id)
    return message.kind, message.file_id


def excerpt(message: FamilyMessage) -> str:
    """The start of a message, for lists and prompts."""
    text = (message.text or "").strip()
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
