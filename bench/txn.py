"""One update's worth of writes, as each way of reaching the database would issue it.

The three statements mirror what every chat update writes: claim the Telegram update id
(processed_updates), save the chat's form state (an upsert of its conversations row) and append
one audit entry. Each factory returns a callable doing ONE such transaction with a fresh update id.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from itertools import count
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.common import NOW
from bot.db import Database
from models.audit import Actor, ActorKind, AuditEntry, audit
from models.base import Base
from models.chat import Conversation, ProcessedUpdate
from models.services.conversations import DialogState, save_dialog
from models.services.updates import begin_update

FLOOR_BOT = 1  # processed_updates.bot_id of benchmark transactions; the chat bot's id differs
CHAT_BASE = 9_000_000_000  # conversation rows of benchmark transactions: no real chat has these ids
CHATS = 1_000
Unit = Callable[[], None]
AsyncUnit = Callable[[], Awaitable[None]]

_SQLITE_TIME = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy's DateTime stores it on SQLite
_RAW = {
    "claim": "INSERT INTO processed_updates (bot_id, update_id, received_at) VALUES ({p}, {p}, {p})",
    "state": (
        "INSERT INTO conversations "
        "(chat_id, dialog, subject, active, step, data, nonce, started_at, updated_at, expires_at) "
        "VALUES ({p}, 'bench', '', TRUE, {p}, '{{}}', 0, {p}, {p}, {p}) "
        "ON CONFLICT (chat_id, dialog, subject) DO UPDATE SET step = excluded.step, "
        "updated_at = excluded.updated_at, expires_at = excluded.expires_at"
    ),
    "audit": (
        "INSERT INTO audit_log (at, actor_kind, actor_id, action, record_type, record_id) "
        "VALUES ({p}, 'system', {p}, 'bench', 'update', {p})"
    ),
}


class UpdateIds:
    """Fresh (update id, chat id) pairs; safe to share between threads (count() is atomic)."""

    def __init__(self, start: int = 1) -> None:
        self._ids = count(start)

    def take(self) -> tuple[int, int]:
        n = next(self._ids)
        return n, CHAT_BASE + n % CHATS


def _raw_params(n: int, chat: int, when: Any) -> tuple[tuple[Any, ...], ...]:
    return (FLOOR_BOT, n, when), (chat, f"s{n % 5}", when, when, when), (when, n, n)


def raw_sqlite(url: str, ids: UpdateIds) -> tuple[Unit, Callable[[], None]]:
    """The floor: the stdlib sqlite3 driver, same pragmas as bot.db, explicit BEGIN/COMMIT."""
    conn = sqlite3.connect(make_url(url).database or "", isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    sql = [_RAW[k].format(p="?") for k in ("claim", "state", "audit")]

    def unit() -> None:
        n, chat = ids.take()
        conn.execute("BEGIN")
        for statement, params in zip(sql, _raw_params(n, chat, _SQLITE_TIME), strict=True):
            conn.execute(statement, params)
        conn.execute("COMMIT")

    return unit, conn.close


def raw_psycopg(url: str, ids: UpdateIds) -> tuple[Unit, Callable[[], None]]:
    """The floor on PostgreSQL: psycopg 3 without SQLAlchemy, one connection, synchronous."""
    import psycopg

    conn = psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    sql = [_RAW[k].format(p="%s") for k in ("claim", "state", "audit")]

    def unit() -> None:
        n, chat = ids.take()
        with conn.cursor() as cur:
            for statement, params in zip(sql, _raw_params(n, chat, NOW), strict=True):
                cur.execute(statement, params)  # type: ignore[arg-type]
        conn.commit()

    return unit, conn.close


def _statements(dialect: str) -> list[Any]:
    # Table-level (Core) statements: given an ORM class with a parameter dict, session.execute takes
    # the slower ORM bulk-insert path, which the services never use for single rows.
    upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(_table(Conversation))
    upsert = upsert.on_conflict_do_update(
        index_elements=["chat_id", "dialog", "subject"],
        set_={
            "step": upsert.excluded.step,
            "updated_at": upsert.excluded.updated_at,
            "expires_at": upsert.excluded.expires_at,
        },
    )
    return [insert(_table(ProcessedUpdate)), upsert, insert(_table(AuditEntry))]


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _sa_params(n: int, chat: int) -> list[dict[str, Any]]:
    return [
        {"bot_id": FLOOR_BOT, "update_id": n, "received_at": NOW},
        {
            "chat_id": chat,
            "dialog": "bench",
            "subject": "",
            "active": True,
            "step": f"s{n % 5}",
            "data": {},
            "nonce": 0,
            "started_at": NOW,
            "updated_at": NOW,
            "expires_at": NOW,
        },
        {
            "at": NOW,
            "actor_kind": ActorKind.system,
            "actor_id": n,
            "action": "bench",
            "record_type": "update",
            "record_id": n,
        },
    ]


def sa_unit(db: Database, ids: UpdateIds) -> Callable[[Session], None]:
    """The three statements as SQLAlchemy Core statements executed through one Session."""
    statements = _statements(db.engine.dialect.name)

    def unit(session: Session) -> None:
        n, chat = ids.take()
        for statement, params in zip(statements, _sa_params(n, chat), strict=True):
            session.execute(statement, params)

    return unit


def services_unit(ids: UpdateIds) -> Callable[[Session], None]:
    """The same writes as the services issue them: begin_update (with PostgreSQL's per-chat advisory
    lock), save_dialog (a get, then an insert or update through the ORM) and audit (an ORM add)."""

    def unit(session: Session) -> None:
        n, chat = ids.take()
        begin_update(session, FLOOR_BOT, n, chat, now=NOW)
        save_dialog(session, DialogState(chat, "bench", f"s{n % 5}", 0, NOW, NOW, {}), now=NOW)
        audit(session, Actor.system(), "bench", "update", n, at=NOW)

    return unit


def async_sa(
    url: str, ids: UpdateIds, *, pool_size: int = 16
) -> tuple[AsyncUnit, Callable[[], Awaitable[None]]]:
    """SQLAlchemy's asyncio layer (aiosqlite or asyncpg): each statement awaited on its own."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        from sqlalchemy import event

        engine = create_async_engine(parsed.set(drivername="sqlite+aiosqlite"))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(
            parsed.set(drivername="postgresql+asyncpg"), pool_size=pool_size, max_overflow=0
        )
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    statements = _statements(engine.dialect.name)

    async def unit() -> None:
        n, chat = ids.take()
        async with sessions.begin() as session:
            for statement, params in zip(statements, _sa_params(n, chat), strict=True):
                await session.execute(statement, params)

    return unit, engine.dispose


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()
