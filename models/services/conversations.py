"""Storing the form a chat is filling in, so it survives restarts and transport switches."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from models.chat import Conversation


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


def load_dialog(session: Session, chat_id: int) -> DialogState | None:
    row = session.get(Conversation, chat_id)
    if row is None:
        return None
    return DialogState(
        row.chat_id, row.dialog, row.step, row.nonce, row.started_at, row.updated_at, dict(row.data)
    )


def new_dialog(chat_id: int, dialog: str, step: str, data: dict[str, Any], *, now: datetime) -> DialogState:
    """A fresh state with a new nonce, so buttons of any earlier form are recognised as stale."""
    return DialogState(chat_id, dialog, step, secrets.randbelow(10**6), now, now, data)


def save_dialog(session: Session, state: DialogState, *, now: datetime) -> None:
    row = session.get(Conversation, state.chat_id)
    if row is None:
        row = Conversation(chat_id=state.chat_id, started_at=state.started_at)
        session.add(row)
    row.dialog, row.step, row.nonce, row.data = state.dialog, state.step, state.nonce, dict(state.data)
    row.started_at, row.updated_at = state.started_at, now
    state.updated_at = now


def clear_dialog(session: Session, chat_id: int) -> None:
    session.execute(delete(Conversation).where(Conversation.chat_id == chat_id))
