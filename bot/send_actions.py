"""Outbox payloads (see models.services.outbox and outbox_media) as the transport actions they describe."""

from __future__ import annotations

import base64
from typing import Any

from handlers.events import (
    Action,
    Button,
    DeleteMessages,
    Edit,
    Keyboard,
    Send,
    SendContact,
    SendDocument,
    SendPhoto,
    SendVoice,
)


def _keyboard(rows: Any) -> Keyboard:
    return tuple(tuple(Button(str(label), str(data)) for label, data in row) for row in rows or ())


def _photo(chat_id: int, payload: dict[str, Any], buttons: Keyboard) -> SendPhoto:
    """A photo by the file_id Telegram gave it (a relay), or uploaded from the stored bytes (a chart)."""
    caption = payload.get("caption")
    if payload.get("file_id"):
        return SendPhoto(chat_id, file_id=str(payload["file_id"]), caption=caption, buttons=buttons)
    data = base64.b64decode(payload["photo_b64"])
    return SendPhoto(chat_id, data=data, caption=caption, buttons=buttons)


def to_action(chat_id: int, payload: dict[str, Any]) -> Action:
    """The transport action a payload describes."""
    kind = payload.get("kind")
    buttons = _keyboard(payload.get("buttons"))
    if kind == "send":
        return Send(chat_id, payload["text"], buttons)
    if kind == "edit":
        return Edit(chat_id, int(payload["message_id"]), payload["text"], buttons)
    if kind == "photo":
        return _photo(chat_id, payload, buttons)
    if kind == "voice":
        return SendVoice(chat_id, str(payload["file_id"]), payload.get("caption"), buttons)
    if kind == "document":
        data = base64.b64decode(payload["data_b64"])
        return SendDocument(chat_id, payload["filename"], data, payload.get("caption"))
    if kind == "delete":  # chat hygiene (models.services.hygiene): {"kind": "delete", "message_ids": [...]}
        return DeleteMessages(chat_id, tuple(int(i) for i in payload["message_ids"]))
    if kind == "contact":
        return SendContact(chat_id, payload["phone"], payload["first_name"], payload.get("last_name"))
    raise ValueError(f"unknown payload kind {kind!r}")
