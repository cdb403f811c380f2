"""The send pace every sender process shares: when the next send may start (wall-clock seconds).

Scope 0 paces the whole bot (Telegram: about 30 messages a second); a chat id paces one chat
(1 a second). Senders reserve consecutive slots in one short transaction, so two processes
together keep the same pace as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.outbox import SendPace
from models.services.sql import changed_rows, insert_ignore

GLOBAL = 0  # the send_pace scope of the whole bot; chat ids are never 0


@dataclass(frozen=True)
class Pacing:
    """Where the shared send pace stands and how it advances (wall-clock Unix seconds)."""

    wall: float  # now, by the wall clock all sender processes share
    interval: float  # between two sends of the bot (1/30 s for Telegram's 30/s)
    chat_interval: float  # between two sends to one chat (1 s)


def reserve_slots(session: Session, chat_ids: Sequence[int], pacing: Pacing) -> list[float]:
    """Reserve consecutive send slots for these chats (in order) in the pace all senders share."""
    if not chat_ids:
        return []
    span = len(chat_ids) * pacing.interval
    end = _advance(session, span, pacing)
    slots = [end - span + i * pacing.interval for i in range(len(chat_ids))]
    set_chat_pace(
        session, {chat: slot + pacing.chat_interval for chat, slot in zip(chat_ids, slots, strict=True)}
    )
    return slots


def push_back(session: Session, seconds: float, pacing: Pacing) -> None:
    """A 429: no slot of the bot before `seconds` from now, and every later one that much later."""
    _advance(session, seconds, pacing)


def _advance(session: Session, seconds: float, pacing: Pacing) -> float:
    """Move the bot's next slot `seconds` past itself (or past now, if it lies behind); the new value.

    The row lock this UPDATE takes serialises reservations across processes until commit.
    """
    insert_ignore(session, SendPace, {"scope": GLOBAL, "next_at": 0.0}, ["scope"], SendPace.scope)
    later = case((SendPace.next_at > pacing.wall, SendPace.next_at), else_=pacing.wall)
    return session.execute(
        update(SendPace)
        .where(SendPace.scope == GLOBAL)
        .values(next_at=later + seconds)
        .returning(SendPace.next_at)
    ).scalar_one()


def set_chat_pace(session: Session, next_at: dict[int, float], *, only_later: bool = False) -> None:
    """Set when each chat may next be sent to (with only_later, never earlier than already set)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(SendPace).values([{"scope": chat, "next_at": at} for chat, at in next_at.items()])
    value: ColumnElement[float] = stmt.excluded.next_at
    if only_later:
        value = case(
            (stmt.excluded.next_at > SendPace.next_at, stmt.excluded.next_at), else_=SendPace.next_at
        )
    session.execute(stmt.on_conflict_do_update(index_elements=["scope"], set_={"next_at": value}))


def prune_pace(session: Session, *, before: float) -> int:
    """Forget chats' pace long past (the bot's own row stays)."""
    return changed_rows(session, delete(SendPace).where(SendPace.scope != GLOBAL, SendPace.next_at < before))
