"""The start of every update's unit of work: order per chat, and each update only once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from models.chat import ProcessedUpdate
from models.services.sql import changed_rows, dialect_of, insert_ignore

KEEP_UPDATE_IDS = timedelta(days=3)

# PostgreSQL: the chat's lock and the claim in one round trip (every update of every chat starts
# with it). The insert selects its row from the lock's CTE, so the lock is held before the row is
# written; the CTE calls a volatile function, so PostgreSQL evaluates it, never folds it away.
_updates = ProcessedUpdate.__table__
_chat_lock = select(func.pg_advisory_xact_lock(bindparam("chat", type_=BigInteger))).cte("chat_lock")
_CLAIM_LOCKED = (
    pg_insert(_updates)
    .from_select(
        ["bot_id", "update_id", "received_at"],
        select(
            *(bindparam(name, type_=_updates.c[name].type) for name in ("bot_id", "update_id", "received_at"))
        ).select_from(_chat_lock),
    )
    .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
    .returning(_updates.c.update_id)
)


def begin_update(session: Session, bot_id: int, update_id: int, chat_id: int, *, now: datetime) -> bool:
    """Lock the chat for this transaction and claim the update id; False if it was handled already.

    On PostgreSQL a transaction-scoped advisory lock on the chat id serialises the chat's updates
    across every bot process; on SQLite the single writer already does.
    """
    values = {"bot_id": bot_id, "update_id": update_id, "received_at": now}
    if dialect_of(session) == "postgresql":
        return session.execute(_CLAIM_LOCKED, values | {"chat": chat_id}).scalar() is not None
    claimed = insert_ignore(
        session, ProcessedUpdate, values, ["bot_id", "update_id"], ProcessedUpdate.update_id
    )
    return claimed is not None


def prune_processed(session: Session, *, now: datetime) -> int:
    """Forget update ids older than a few days (Telegram ids may restart after a week of silence)."""
    return changed_rows(
        session, delete(ProcessedUpdate).where(ProcessedUpdate.received_at < now - KEEP_UPDATE_IDS)
    )
