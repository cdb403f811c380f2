"""Storing the form a chat is filling in, so it survives restarts and transport switches."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from models.chat import Conversation
from models.services.sql import upsert


@dataclass
class DialogState:
    """A half-filled form: which dialog, which step, the answers so far."""

    chat_id: int
    dialog: str
    step: str
    nonce: int
    started_at: datetime
    updated_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


_conversations = Conversation.__table__
_LOAD = select(
    _conversations.c.chat_id,
    _conversations.c.dialog,
    _conversations.c.step,
    _conversations.c.nonce,
    _conversations.c.started_at,
    _conversations.c.updated_at,
    _conversations.c.data,
).where(_conversations.c.chat_id == bindparam("chat"))  # built once: it runs on most updates
# Every saved, cancelled or expired form ends with this: a Core DELETE built once, not an ORM
# bulk delete built (and its ORM execution context set up) on every call.
_CLEAR = delete(_conversations).where(_conversations.c.chat_id == bindparam("chat"))


def load_dialog(session: Session, chat_id: int) -> DialogState | None:
    row = session.execute(_LOAD, {"chat": chat_id}).first()
    if row is None:
        return None
    return DialogState(
        row.chat_id, row.dialog, row.step, row.nonce, row.started_at, row.updated_at, dict(row.data)
    )


def new_dialog(chat_id: int, dialog: str, step: str, data: dict[str, Any], *, now: datetime) -> DialogState:
    """A fresh state with a new nonce, so buttons of any earlier form are recognised as stale."""
    return DialogState(chat_id, dialog, step, secrets.randbelow(10**6), now, now, data)


def save_dialog(session: Session, state: DialogState, *, now: datetime) -> None:
    """Insert or overwrite the chat's form in one statement."""
    values = {
        "chat_id": state.chat_id,
        "dialog": state.dialog,
        "step": state.step,
        "nonce": state.nonce,
        "data": dict(state.data),
        "started_at": state.started_at,
        "updated_at": now,
    }
    upsert(session, Conversation, values, ["chat_id"])
    state.updated_at = now


def clear_dialog(session: Session, chat_id: int) -> None:
    """Forget the chat's form (if any)."""
    session.execute(_CLEAR, {"chat": chat_id})
