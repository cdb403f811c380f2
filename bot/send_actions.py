"""Outbox payloads (see models.services.outbox) as the transport actions they describe."""

from __future__ import annotations

import base64
from typing import Any

from handlers.events import Action, Button, Edit, Keyboard, Send, SendContact, SendDocument, SendPhoto


def _keyboard(rows: Any) -> Keyboard:
    return tuple(tuple(Button(str(label), str(data)) for label, data in row) for row in rows or ())


def to_action(chat_id: int, payload: dict[str, Any]) -> Action:
    """The transport action a payload (see models.services.outbox) describes."""
    kind = payload.get("kind")
    buttons = _keyboard(payload.get("buttons"))
    if kind == "send":
        return Send(chat_id, payload["text"], buttons)
    if kind == "edit":
        return Edit(chat_id, int(payload["message_id"]), payload["text"], buttons)
    if kind == "photo":
        data = base64.b64decode(payload["photo_b64"])
        return SendPhoto(chat_id, data=data, caption=payload.get("caption"), buttons=buttons)
    if kind == "document":
        data = base64.b64decode(payload["data_b64"])
        return SendDocument(chat_id, payload["filename"], data, payload.get("caption"))
    if kind == "contact":
        return SendContact(chat_id, payload["phone"], payload["first_name"], payload.get("last_name"))
    raise ValueError(f"unknown payload kind {kind!r}")
