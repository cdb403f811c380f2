"""Leadership among the bot processes sharing one PostgreSQL: who runs the scheduled jobs, who sends.

The process that holds a session-level advisory lock, taken with `pg_try_advisory_lock` on a
dedicated connection, leads; the others keep asking. The lock goes with the connection, so when
the leader dies (or its connection does) another process takes over at its next check. On SQLite
(one process) the only process always leads.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import structlog
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.db import Database

log = structlog.get_logger("gridcare.leadership")


class LockKey(NamedTuple):
    """Two int4 keys: a lock space apart from the one-bigint per-chat update locks."""

    a: int
    b: int


class Leadership:
    """Whether this process holds `key` (PostgreSQL advisory lock; SQLite: always)."""

    def __init__(self, db: Database, key: LockKey, name: str) -> None:
        self._engine = None if db.is_sqlite else create_engine(db.engine.url, poolclass=NullPool)
        self._conn: Connection | None = None
        self._key = key._asdict()
        self.name = name
        self.is_leader = db.is_sqlite

    def check(self) -> bool:
        """Keep or try to win the lock (blocking: call it off the event loop)."""
        if self._engine is None:
            return True
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                self.is_leader = False
            if self.is_leader:
                self._conn.execute(text("SELECT 1"))  # the lock lives as long as this connection
            else:
                won = self._conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), self._key).scalar()
                self.is_leader = bool(won)
                if won:
                    log.info(f"{self.name}_leader")  # e.g. scheduler_leader
        except SQLAlchemyError:
            log.warning(f"{self.name}_lock_connection_lost")
            self._drop()
        return self.is_leader

    def release(self) -> None:
        """Give the lock up (stopping), so another process leads at its next check."""
        if self._conn is not None and self.is_leader:
            with contextlib.suppress(SQLAlchemyError):  # closing the connection releases it anyway
                self._conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), self._key)
        self._drop()
        if self._engine is not None:
            self._engine.dispose()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
        self._conn = None
        self.is_leader = self._engine is None
