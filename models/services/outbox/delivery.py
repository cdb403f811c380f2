"""Delivering the outbox: what the sender records after each send, and the rules it keeps.

The sender (bot/outbox.py) is the only caller. Each function is one short unit of work:

* models.services.outbox.claims.claim_due takes rows that may go now, at most one per chat, marks them
  `sending` with a lease (`locked_until`) and an owner, and gives each a slot in the send pace
  that every sender process shares (models.services.outbox.pace).
* A row whose lease ran out (its sender died) is claimable again: nothing is lost. Sooner: the
  sending leader gives back at once the rows of senders it knows are gone (`reclaim`).
* The functions here record the outcome, each only if the row is still claimed by the caller:
  sent (with Telegram's message id), retry later, dead (with the reason), given back.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, true, update
from sqlalchemy.orm import Session

from models.chat import Chat
from models.outbox import OutboxMessage, OutboxStatus
from models.services.outbox.pace import Pacing, push_back, reserve_slots, set_chat_pace
from models.services.sql import changed_rows


def hold_for_flood(
    session: Session,
    row_id: int,
    chat_id: int,
    *,
    owner: str,
    seconds: float,
    now: datetime,
    lease: timedelta,
    pacing: Pacing,
) -> float:
    """A 429: keep the row (longer lease), push the shared pace `seconds` later, and return the
    row's new slot. Senders move the slots they already hold by the same pause."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claimed_by == owner)
        .values(locked_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    push_back(session, seconds, pacing)
    return reserve_slots(session, [chat_id], pacing)[0]


def finish(
    session: Session,
    row_id: int,
    owner: str,
    *,
    status: OutboxStatus,
    now: datetime,
    error: str | None = None,
    message_id: int | None = None,
    available_at: datetime | None = None,
) -> bool:
    values: dict[str, Any] = {"status": status, "locked_until": None, "last_error": _short(error)}
    if status == OutboxStatus.sent:
        values.update(sent_at=now, message_id=message_id)
    if available_at is not None:
        values["available_at"] = available_at
    done = changed_rows(
        session,
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.claimed_by == owner,
            OutboxMessage.status == OutboxStatus.sending,
        )
        .values(**values)
        .execution_options(synchronize_session=False),
    )
    return done == 1


def _short(error: str | None) -> str | None:
    return None if error is None else error[:200]


def mark_sent(
    session: Session,
    row_id: int,
    chat_id: int,
    *,
    owner: str,
    message_id: int | None,
    now: datetime,
    chat_free_at: float | None = None,
) -> bool:
    """The send succeeded; a chat that was unreachable evidently is not any more. False: claim lost.

    `chat_free_at` (wall clock) keeps the chat's next send a chat interval after this one was
    answered, however late its slot came.
    """
    done = finish(session, row_id, owner, status=OutboxStatus.sent, now=now, message_id=message_id)
    if chat_free_at is not None:
        set_chat_pace(session, {chat_id: chat_free_at}, only_later=True)
    session.execute(
        update(Chat).where(Chat.chat_id == chat_id, Chat.unreachable == true()).values(unreachable=False)
    )
    return done


def mark_retry(session: Session, row_id: int, *, owner: str, error: str, now: datetime, at: datetime) -> bool:
    """A transient failure: back to the queue, to be tried again at `at`."""
    return finish(session, row_id, owner, status=OutboxStatus.pending, now=now, error=error, available_at=at)


def mark_dead(session: Session, row_id: int, *, owner: str, error: str, now: datetime) -> bool:
    """Give up on the row (dead letter), saying why."""
    return finish(session, row_id, owner, status=OutboxStatus.dead, now=now, error=error)


def mark_unreachable(
    session: Session, row_id: int, chat_id: int, *, owner: str, error: str, now: datetime
) -> bool:
    """403: the chat blocked the bot. The row is dead and the chat marked unreachable (for the digest)."""
    done = mark_dead(session, row_id, owner=owner, error=f"unreachable: {error}", now=now)
    if session.get(Chat, chat_id) is None:
        session.add(Chat(chat_id=chat_id, failed_codes=0, unreachable=True, created_at=now))
    else:
        session.execute(update(Chat).where(Chat.chat_id == chat_id).values(unreachable=True))
    return done


def release(
    session: Session, row_ids: Sequence[int], *, owner: str, available_at: datetime | None = None
) -> int:
    """Give claimed rows back unsent (shutting down, or a long flood wait); the attempt does not count."""
    values: dict[str, Any] = {
        "status": OutboxStatus.pending,
        "locked_until": None,
        "attempts": case((OutboxMessage.attempts > 0, OutboxMessage.attempts - 1), else_=0),
    }
    if available_at is not None:
        values["available_at"] = available_at
    return changed_rows(
        session,
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(row_ids)),
            OutboxMessage.claimed_by == owner,
            OutboxMessage.status == OutboxStatus.sending,
        )
        .values(**values)
        .execution_options(synchronize_session=False),
    )


def sending_owners(session: Session, *, besides: str) -> set[str]:
    """The senders, other than `besides`, that hold rows in `sending` (claimed, not yet recorded)."""
    owners = session.scalars(
        select(OutboxMessage.claimed_by)
        .where(
            OutboxMessage.status == OutboxStatus.sending,
            OutboxMessage.claimed_by.is_not(None),
            OutboxMessage.claimed_by != besides,
        )
        .distinct()
    )
    return {owner for owner in owners if owner is not None}


def reclaim(session: Session, owners: Collection[str]) -> int:
    """Rows that senders now gone left in `sending` go back to the queue at once, instead of when
    their lease runs out (a crashed sender's rows, urgent alerts among them, waited 120 s). The
    attempt counts: a row that keeps killing its senders ends dead (bot/outbox.py). How many."""
    if not owners:
        return 0
    return changed_rows(
        session,
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.sending, OutboxMessage.claimed_by.in_(list(owners)))
        .values(status=OutboxStatus.pending, locked_until=None)
        .execution_options(synchronize_session=False),
    )
