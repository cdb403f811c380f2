"""Enqueueing messages the bot sends on its own, in the transaction of the change that causes them.

A payload is a neutral description of one Telegram action, stored as JSON:
  {"kind": "send", "text": str, "buttons": [[[label, data], ...], ...]}
  {"kind": "photo", "photo_b64": str, "caption": str | None, "buttons": [...]}
  {"kind": "document", "filename": str, "data_b64": str, "caption": str | None}
  {"kind": "contact", "phone": str, "first_name": str, "last_name": str | None}
  {"kind": "edit", "edit_of": dedupe_key of an earlier row whose message to edit, "text": ..., "buttons": ...}
  {"kind": "edit", "message_id": int, "text": ..., "buttons": ...}  (a reply's edit of a known message)
  {"kind": "commands", "commands": [[name, description], ...], "language_code": str | None}
(replies that had to wait for Telegram, bot/replies.py, use every kind; bot/send_actions.py maps
payloads to transport actions and back.)
The sender (bot/outbox.py) turns it into a transport action; models.services.claims and
models.services.delivery claim and mark the rows for it. `queue_state` and `retry_dead` serve
`gridcare outbox status` and `gridcare outbox retry-dead`.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select, true, update
from sqlalchemy.orm import Session

from models.chat import Chat
from models.outbox import OutboxMessage, OutboxStatus
from models.services.sql import changed_rows, insert_ignore, insert_ignore_many

ButtonRows = Sequence[Sequence[tuple[str, str]]]


def send_payload(text: str, buttons: ButtonRows = ()) -> dict[str, Any]:
    return {"kind": "send", "text": text, "buttons": [[list(b) for b in row] for row in buttons]}


def edit_payload(edit_of: str, text: str, buttons: ButtonRows = ()) -> dict[str, Any]:
    return {
        "kind": "edit",
        "edit_of": edit_of,
        "text": text,
        "buttons": [[list(b) for b in row] for row in buttons],
    }


def photo_payload(photo: bytes, caption: str | None = None, buttons: ButtonRows = ()) -> dict[str, Any]:
    return {
        "kind": "photo",
        "photo_b64": base64.b64encode(photo).decode(),
        "caption": caption,
        "buttons": [[list(b) for b in row] for row in buttons],
    }


def document_payload(filename: str, data: bytes, caption: str | None = None) -> dict[str, Any]:
    return {
        "kind": "document",
        "filename": filename,
        "data_b64": base64.b64encode(data).decode(),
        "caption": caption,
    }


def contact_payload(phone: str, first_name: str, last_name: str | None = None) -> dict[str, Any]:
    return {"kind": "contact", "phone": phone, "first_name": first_name, "last_name": last_name}


def outbox_row(
    *,
    chat_id: int,
    purpose: str,
    dedupe_key: str,
    payload: dict[str, Any],
    now: datetime,
    available_at: datetime | None = None,
    urgent: bool = False,
) -> dict[str, Any]:
    """The outbox row of one message to queue (for `enqueue` and `enqueue_many`)."""
    return {
        "chat_id": chat_id,
        "purpose": purpose,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "urgent": urgent,
        "status": OutboxStatus.pending,
        "available_at": available_at or now,
        "attempts": 0,
        "created_at": now,
    }


def enqueue(session: Session, **message: Any) -> int | None:
    """Queue one message (the fields of `outbox_row`) once per `dedupe_key`; returns its id, or
    None if that key was queued before.

    Call it in the same unit of work as the change that causes the message: both commit or neither.
    """
    row = outbox_row(**message)
    return insert_ignore(session, OutboxMessage, row, ["dedupe_key"], OutboxMessage.id)


def enqueue_many(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Queue many messages (`outbox_row`s) at once, each once per dedupe key: how many were new.

    A job's hundreds of messages go in a few multi-row statements instead of one round trip each.
    """
    return len(insert_ignore_many(session, OutboxMessage, rows, ["dedupe_key"], OutboxMessage.id))


@dataclass(frozen=True)
class QueueState:
    """The outbox at a glance, for `gridcare outbox status` and the health page."""

    queued: int  # pending, never failed
    retrying: int  # pending after a failure (backoff)
    sending: int
    sent: int
    dead: int
    oldest_pending: timedelta | None  # age of the oldest row still to send
    unreachable_chats: int
    by_purpose: dict[str, dict[str, int]]  # purpose -> status -> count


def queue_state(session: Session, *, now: datetime) -> QueueState:
    """Counts per status (and per purpose), the oldest pending row's age, chats that blocked the bot."""
    retrying = case(
        (
            and_(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.last_error.is_not(None)),
            "retrying",
        ),
        else_=OutboxMessage.status,
    )
    counts: dict[str, int] = {}
    by_purpose: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(OutboxMessage.purpose, retrying.label("state"), func.count()).group_by(
            OutboxMessage.purpose, retrying
        )
    )
    for purpose, state, count in rows:
        state = "queued" if state == OutboxStatus.pending else str(state)
        counts[state] = counts.get(state, 0) + count
        by_purpose.setdefault(purpose, {})[state] = count
    oldest = session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status.in_((OutboxStatus.pending, OutboxStatus.sending))
        )
    )
    unreachable = session.scalar(select(func.count()).select_from(Chat).where(Chat.unreachable == true()))
    return QueueState(
        queued=counts.get("queued", 0),
        retrying=counts.get("retrying", 0),
        sending=counts.get("sending", 0),
        sent=counts.get("sent", 0),
        dead=counts.get("dead", 0),
        oldest_pending=None if oldest is None else now - _aware(oldest),
        unreachable_chats=unreachable or 0,
        by_purpose=by_purpose,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def retry_dead(session: Session, *, now: datetime, purpose: str | None = None) -> int:
    """Put dead-lettered rows back in the queue (after the cause is fixed); returns how many."""
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.dead)
        .values(
            status=OutboxStatus.pending,
            attempts=0,
            available_at=now,
            locked_until=None,
            claimed_by=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    if purpose is not None:
        stmt = stmt.where(OutboxMessage.purpose == purpose)
    return changed_rows(session, stmt)
