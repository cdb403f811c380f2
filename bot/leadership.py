"""Leadership among the bot processes sharing one PostgreSQL: who runs the scheduled jobs, who sends.

The process that holds a session-level advisory lock, taken with `pg_try_advisory_lock` on a
dedicated connection, leads; the others keep asking. The lock goes with the connection, so when
the leader dies (or its connection does) another process takes over at its next check. On SQLite
(one process) the only process always leads.

A member (a sender, by its owner name) also holds a presence lock on that connection for as long as
it lives, so others can tell that it is gone (`gone`): its lock is free only once its process, or
its connection, has ended. On SQLite every process is on this machine (the file is local): a
member is gone once its process (the pid in its name) no longer runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from collections.abc import Iterable
from typing import NamedTuple

import structlog
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.db import Database

log = structlog.get_logger("gridcare.leadership")
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:a, :b)")
_UNLOCK = text("SELECT pg_advisory_unlock(:a, :b)")


class LockKey(NamedTuple):
    """Two int4 keys: a lock space apart from the one-bigint per-chat update locks."""

    a: int
    b: int


PRESENCE = 0x47525052  # "GRPR": the first key of every member's presence lock


def presence_key(member: str) -> LockKey:
    """The presence lock of a member: a 32-bit hash of its name (a collision only keeps a row
    waiting for its lease, as without presence)."""
    digest = hashlib.sha256(member.encode()).digest()
    return LockKey(PRESENCE, int.from_bytes(digest[:4], "big", signed=True))


class Leadership:
    """Whether this process holds `key` (PostgreSQL advisory lock; SQLite: always)."""

    def __init__(self, db: Database, key: LockKey, name: str, *, member: str | None = None) -> None:
        self._engine = None if db.is_sqlite else create_engine(db.engine.url, poolclass=NullPool)
        self._conn: Connection | None = None
        self._key = key._asdict()
        self._member = member
        self.name = name
        self.is_leader = db.is_sqlite

    @property
    def alone(self) -> bool:
        """Whether this is the only process (SQLite)."""
        return self._engine is None

    def check(self) -> bool:
        """Keep or try to win the lock (blocking: call it off the event loop)."""
        if self._engine is None:
            return True
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                self.is_leader = False
                if self._member is not None:
                    present = self._conn.execute(_TRY_LOCK, presence_key(self._member)._asdict()).scalar()
                    if not present:  # a hash collision: the other member looks alive, never gone
                        log.warning(f"{self.name}_presence_shared")
            if self.is_leader:
                self._conn.execute(text("SELECT 1"))  # the lock lives as long as this connection
            else:
                won = self._conn.execute(_TRY_LOCK, self._key).scalar()
                self.is_leader = bool(won)
                if won:
                    log.info(f"{self.name}_leader")  # e.g. scheduler_leader
        except SQLAlchemyError:
            log.warning(f"{self.name}_lock_connection_lost")
            self._drop()
        return self.is_leader

    def gone(self, members: Iterable[str]) -> set[str]:
        """Which of these other members are gone: their presence lock is free (blocking: call it off
        the event loop). On SQLite those whose process ended; on PostgreSQL none if this process has
        no connection."""
        others = set(members) - {self._member}
        if self._engine is None:
            return {member for member in others if not _runs_here(member)}
        if self._conn is None:
            return set()
        found = set()
        try:
            for member in others:
                key = presence_key(member)._asdict()
                if self._conn.execute(_TRY_LOCK, key).scalar():
                    self._conn.execute(_UNLOCK, key)
                    found.add(member)
        except SQLAlchemyError:
            log.warning(f"{self.name}_lock_connection_lost")
            self._drop()
            return set()
        return found

    def step_down(self) -> None:
        """Give the lead up, so another process leads at its next check; stay present."""
        if self._conn is not None and self.is_leader and self._engine is not None:
            try:
                self._conn.execute(_UNLOCK, self._key)
                self.is_leader = False
            except SQLAlchemyError:  # closing the connection releases it anyway
                self._drop()

    def release(self) -> None:
        """Give the lock and the presence up (stopping), so another process leads at its next check."""
        if self._conn is not None and self.is_leader:
            with contextlib.suppress(SQLAlchemyError):  # closing the connection releases it anyway
                self._conn.execute(_UNLOCK, self._key)
        self._drop()
        if self._engine is not None:
            self._engine.dispose()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
        self._conn = None
        self.is_leader = self._engine is None


def _runs_here(member: str) -> bool:
    """Whether a member named `<host[:16]>-<pid>-<token>` (bot/outbox.py) still runs on this machine.
    A name of another host, or not of that form, is taken as running: its rows wait for their lease."""
    host, pid, _ = [*member.rsplit("-", 2), "", ""][:3]
    if host != socket.gethostname()[:16] or not pid.isascii() or not pid.isdigit():
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # a killed child not yet reaped
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        pass
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
