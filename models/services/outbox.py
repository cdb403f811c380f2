"""Enqueueing messages the bot sends on its own, in the transaction of the change that causes them.

A payload is a neutral description of one Telegram action, stored as JSON:
  {"kind": "send", "text": str, "buttons": [[[label, data], ...], ...]}
  {"kind": "photo", "photo_b64": str, "caption": str | None, "buttons": [...]}
  {"kind": "document", "filename": str, "data_b64": str, "caption": str | None}
  {"kind": "contact", "phone": str, "first_name": str, "last_name": str | None}
  {"kind": "edit", "edit_of": dedupe_key of an earlier row whose message to edit, "text": ..., "buttons": ...}
The sender (bot/outbox.py) turns it into a transport action.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.outbox import OutboxMessage, OutboxStatus
from models.services.sql import insert_ignore

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


def enqueue(
    session: Session,
    *,
    chat_id: int,
    purpose: str,
    dedupe_key: str,
    payload: dict[str, Any],
    now: datetime,
    available_at: datetime | None = None,
    urgent: bool = False,
) -> int | None:
    """Queue one message once per `dedupe_key`; returns its id, or None if that key was queued before.

    Call it in the same unit of work as the change that causes the message: both commit or neither.
    """
    return insert_ignore(
        session,
        OutboxMessage,
        {
            "chat_id": chat_id,
            "purpose": purpose,
            "payload": payload,
            "dedupe_key": dedupe_key,
            "urgent": urgent,
            "status": OutboxStatus.pending,
            "available_at": available_at or now,
            "attempts": 0,
            "created_at": now,
        },
        ["dedupe_key"],
        OutboxMessage.id,
    )
