"""Enqueueing messages the bot sends on its own, in the transaction of the change that causes them.

A message is a models.outgoing action (Send, SendPhoto, ...). Its outbox row keeps it as JSON,
written by `to_payload` and read back by `from_payload` (the one pair; rows queued by earlier
versions have the same shape):
  {"kind": "send", "text": str, "buttons": [[[label, data], ...], ...]}
  {"kind": "edit", "message_id": int, "text": ..., "buttons": ...}  (a reply's edit of a known message)
  {"kind": "edit", "edit_of": dedupe_key of an earlier row whose message to edit, "text": ..., "buttons": ...}
  {"kind": "photo", "photo_b64": str, "caption": str | None, "buttons": [...]}  (uploaded: a chart)
  {"kind": "photo", "file_id": str, "caption": str | None, "buttons": [...]}  (re-sent: a relay)
  {"kind": "voice", "file_id": str, "caption": str | None, "buttons": [...]}
  {"kind": "document", "filename": str, "data_b64": str, "caption": str | None}
  {"kind": "contact", "phone": str, "first_name": str, "last_name": str | None}
  {"kind": "delete", "message_ids": [int, ...]}
  {"kind": "commands", "commands": [[name, description], ...], "language_code": str | None,
   "menu_app": [text, url] (only when there is one)}
An `edit_of` edit gets its `message_id` when it is claimed (models.services.outbox.claims). The sender
(bot/outbox.py) turns a claimed row back into its action; models.services.outbox.claims and
models.services.outbox.delivery claim and mark the rows for it. `queue_state` and `retry_dead` serve
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
from models.outgoing import (
    ChatAction,
    DeleteMessages,
    Edit,
    Keyboard,
    Send,
    SendContact,
    SendDocument,
    SendPhoto,
    SendVoice,
    SetCommands,
    keyboard,
)
from models.services.sql import changed_rows, insert_ignore, insert_ignore_many


def to_payload(message: ChatAction, *, edit_of: str | None = None) -> dict[str, Any]:
    """The JSON an outbox row keeps for a message. With `edit_of` (a Send only), the message's text
    and buttons replace those of the message the row with that dedupe key sends."""
    if edit_of is not None:
        if not isinstance(message, Send):
            raise ValueError("only a text message can stand for an edit of an earlier one")
        return {"kind": "edit", "edit_of": edit_of, "text": message.text, "buttons": _rows(message.buttons)}
    match message:
        case Send(_, text, buttons):
            return {"kind": "send", "text": text, "buttons": _rows(buttons)}
        case Edit(_, message_id, text, buttons):
            return {"kind": "edit", "message_id": message_id, "text": text, "buttons": _rows(buttons)}
        case SendPhoto(_, data, file_id, caption, buttons):
            source = {"photo_b64": _b64(data)} if data is not None else {"file_id": file_id}
            return {"kind": "photo", **source, "caption": caption, "buttons": _rows(buttons)}
        case SendVoice(_, file_id, caption, buttons):
            return {"kind": "voice", "file_id": file_id, "caption": caption, "buttons": _rows(buttons)}
        case SendDocument(_, filename, data, caption):
            return {"kind": "document", "filename": filename, "data_b64": _b64(data), "caption": caption}
        case SendContact(_, phone, first_name, last_name):
            return {"kind": "contact", "phone": phone, "first_name": first_name, "last_name": last_name}
        case DeleteMessages(_, message_ids):
            return {"kind": "delete", "message_ids": list(message_ids)}
        case SetCommands(_, commands, language_code, menu_app):
            menu = {"menu_app": list(menu_app)} if menu_app else {}
            return {
                "kind": "commands",
                "commands": [list(c) for c in commands],
                "language_code": language_code,
                **menu,
            }
    raise TypeError(f"{type(message).__name__} cannot wait in the outbox")


def from_payload(chat_id: int, payload: dict[str, Any]) -> ChatAction:
    """The message an outbox row keeps (an edit only once it names its message); KeyError,
    ValueError or TypeError if the payload is not one."""
    kind = payload.get("kind")
    buttons = _keyboard(payload.get("buttons"))
    caption = payload.get("caption")
    if kind == "send":
        return Send(chat_id, payload["text"], buttons)
    if kind == "edit":
        return Edit(chat_id, int(payload["message_id"]), payload["text"], buttons)
    if kind == "photo" and payload.get("file_id"):
        return SendPhoto(chat_id, file_id=str(payload["file_id"]), caption=caption, buttons=buttons)
    if kind == "photo":
        return SendPhoto(
            chat_id, data=base64.b64decode(payload["photo_b64"]), caption=caption, buttons=buttons
        )
    if kind == "voice":
        return SendVoice(chat_id, str(payload["file_id"]), caption, buttons)
    if kind == "document":
        return SendDocument(chat_id, payload["filename"], base64.b64decode(payload["data_b64"]), caption)
    if kind == "contact":
        return SendContact(chat_id, payload["phone"], payload["first_name"], payload.get("last_name"))
    if kind == "delete":
        return DeleteMessages(chat_id, tuple(int(i) for i in payload["message_ids"]))
    if kind == "commands":
        commands = tuple((str(name), str(text)) for name, text in payload["commands"])
        app = payload.get("menu_app")
        menu_app = (str(app[0]), str(app[1])) if app else None
        return SetCommands(chat_id, commands, payload.get("language_code"), menu_app)
    raise ValueError(f"unknown payload kind {kind!r}")


def _rows(buttons: Keyboard) -> list[list[list[str]]]:
    return [[[b.text, b.data] for b in row] for row in buttons]


def _keyboard(rows: Any) -> Keyboard:
    return keyboard(rows or ())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def outbox_row(
    *,
    message: ChatAction,
    purpose: str,
    dedupe_key: str,
    now: datetime,
    available_at: datetime | None = None,
    urgent: bool = False,
    edit_of: str | None = None,
) -> dict[str, Any]:
    """The outbox row of one message to queue (for `enqueue` and `enqueue_many`); `edit_of`: see
    `to_payload`."""
    return {
        "chat_id": message.chat_id,
        "purpose": purpose,
        "payload": to_payload(message, edit_of=edit_of),
        "dedupe_key": dedupe_key,
        "urgent": urgent,
        "status": OutboxStatus.pending,
        "available_at": available_at or now,
        "attempts": 0,
        "created_at": now,
    }


def enqueue(session: Session, **fields: Any) -> int | None:
    """Queue one message (the fields of `outbox_row`) once per `dedupe_key`; returns its id, or
    None if that key was queued before.

    Call it in the same unit of work as the change that causes the message: both commit or neither.
    """
    row = outbox_row(**fields)
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
