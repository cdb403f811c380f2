"""The start of every update's unit of work: order per chat, and each update only once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from models.chat import ProcessedUpdate
from models.services.sql import changed_rows, dialect_of, insert_ignore

KEEP_UPDATE_IDS = timedelta(days=3)
_LOCK_CHAT = text("SELECT pg_advisory_xact_lock(:key)")


def begin_update(session: Session, bot_id: int, update_id: int, chat_id: int, *, now: datetime) -> bool:
    """Lock the chat for this transaction and claim the update id; False if it was handled already.

    On PostgreSQL a transaction-scoped advisory lock on the chat id serialises the chat's updates
    across every bot process; on SQLite the single writer already does.
    """
    if dialect_of(session) == "postgresql":
        session.execute(_LOCK_CHAT, {"key": chat_id})
    values = {"bot_id": bot_id, "update_id": update_id, "received_at": now}
    claimed = insert_ignore(
        session, ProcessedUpdate, values, ["bot_id", "update_id"], ProcessedUpdate.update_id
    )
    return claimed is not None


def prune_processed(session: Session, *, now: datetime) -> int:
    """Forget update ids older than a few days (Telegram ids may restart after a week of silence)."""
    return changed_rows(
        session, delete(ProcessedUpdate).where(ProcessedUpdate.received_at < now - KEEP_UPDATE_IDS)
    )
