"""Outbox payloads (see models.services.outbox and outbox_media) as the transport actions they
describe, and back (a reply that waits in the outbox, bot/replies.py); an edit whose message is gone
sent as a new message, for the sender and the replies alike."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from handlers.events import (
    Action,
    BadRequest,
    Button,
    DeleteMessages,
    Edit,
    Keyboard,
    Send,
    SendContact,
    SendDocument,
    SendPhoto,
    SendVoice,
    Sent,
    SetCommands,
)
from models.services.outbox import (
    ButtonRows,
    contact_payload,
    document_payload,
    photo_payload,
    send_payload,
)
from models.services.outbox_media import media_payload

log = structlog.get_logger("gridcare.send")


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
    if kind == "commands":  # a reply's menu: {"kind": "commands", "commands": [[name, description]], ...}
        commands = tuple((str(name), str(text)) for name, text in payload["commands"])
        app = payload.get("menu_app")
        menu_app = (str(app[0]), str(app[1])) if app else None
        return SetCommands(chat_id, commands, payload.get("language_code"), menu_app)
    raise ValueError(f"unknown payload kind {kind!r}")


def _rows(buttons: Keyboard) -> ButtonRows:
    return [[(b.text, b.data) for b in row] for row in buttons]


def to_payload(action: Action) -> dict[str, Any] | None:
    """The payload that describes an action (`to_action` turns it back); None for an answer to a
    button press, which cannot wait (Telegram forgets the press within seconds)."""
    match action:
        case Send(_, text, buttons):
            return send_payload(text, _rows(buttons))
        case Edit(_, message_id, text, buttons):  # the message is known: no `edit_of` to resolve
            return {"kind": "edit", "message_id": message_id, "text": text, "buttons": _rows(buttons)}
        case SendPhoto(_, data, file_id, caption, buttons):
            if data is not None:
                return photo_payload(data, caption, _rows(buttons))
            return media_payload("photo", str(file_id), caption, _rows(buttons))
        case SendVoice(_, file_id, caption, buttons):
            return media_payload("voice", file_id, caption, _rows(buttons))
        case SendDocument(_, filename, data, caption):
            return document_payload(filename, data, caption)
        case SendContact(_, phone, first_name, last_name):
            return contact_payload(phone, first_name, last_name)
        case DeleteMessages(_, message_ids):
            return {"kind": "delete", "message_ids": list(message_ids)}
        case SetCommands(_, commands, language_code, menu_app):
            return {
                "kind": "commands",
                "commands": [list(c) for c in commands],
                "language_code": language_code,
                **({"menu_app": list(menu_app)} if menu_app else {}),
            }
    return None


def as_new_message(edit: Edit) -> Send:
    """The edit's text and buttons as a message of their own."""
    return Send(edit.chat_id, edit.text, edit.buttons)


async def call_or_send_new(call: Callable[[Action], Awaitable[Sent]], action: Action) -> Sent:
    """Perform the action; an edit whose message is gone (deleted, or never there) is sent instead
    as a new message, so what it says still reaches the chat."""
    try:
        return await call(action)
    except BadRequest as exc:
        if not (isinstance(action, Edit) and exc.message_gone):
            raise
        log.info("edit_target_gone", chat_id=action.chat_id, message_id=action.message_id)
        return await call(as_new_message(action))
