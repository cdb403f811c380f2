"""Engine, session factory and the unit of work; the async door the bot uses to reach them.

Each update or job is one synchronous unit of work (a plain SQLAlchemy session, committed once)
handed whole to a small dedicated thread pool: one thread for SQLite, whose writers serialise
anyway, a few for PostgreSQL. Measured on this machine this is several times faster than
awaiting each statement through SQLAlchemy's asyncio layer (see BENCHMARKS.md).

Dropped PostgreSQL connections are handled optimistically (SQLAlchemy's "Dealing with
Disconnects"): no ping before each checkout, which cost a round trip per unit of work; the pool
replaces connections older than `RECYCLE_SECONDS` (before a server, proxy or firewall drops them
for idling), and a unit of work whose connection turns out dead before it committed is run again
from the start on a fresh one.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import structlog
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from models.services.obligations.state import keep_current

T = TypeVar("T")
log = structlog.get_logger("gridcare.db")

RECYCLE_SECONDS = 1800  # a pooled PostgreSQL connection is replaced after half an hour
RETRIES_ON_DISCONNECT = 1  # one lost connection invalidates the pool's older ones: one retry suffices
CHECKPOINT_SECONDS = 0.25  # SQLite: how often the running bot copies the WAL back (`Checkpoints`)


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine tuned per backend: WAL and foreign keys on SQLite; on PostgreSQL, psycopg 3 and a
    pool that recycles its connections (no ping per checkout: `Database.call` retries instead)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _create_private(parsed)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=RECYCLE_SECONDS)


def _file_path(url: URL) -> str | None:
    """A SQLite URL's plain file path; None in memory, or for a URI whose options (mode=, vfs=) are
    the caller's to choose."""
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:") or url.query.get("uri"):
        return None
    return path


def _create_private(url: URL) -> None:
    """Create a SQLite database file that does not exist yet with mode 0600 (owner only).

    sqlite3 would create it 0644 under the usual umask: names and sealed fields readable by every
    local account. SQLite gives the `-wal` and `-shm` files it makes later the main file's mode.
    """
    path = _file_path(url)
    if path is None:
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except FileNotFoundError:
        return  # no such directory: let sqlite3 say so in its own words
    os.close(fd)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Checkpoints:
    """SQLite: the write-ahead log copied back into the database file by a thread of its own, every
    `interval` seconds, in PASSIVE mode (it neither waits for nor blocks the writer; sqlite3 lets go
    of the GIL meanwhile). Otherwise the commit that takes the log past SQLite's 1,000 pages does it,
    and that update waits 5–12 ms, with every update queued behind it (BENCHMARKS.md section 17).
    Kept small this way, the log is restarted by the next writer and never reaches the mark, which
    stays as the safety net if this thread falls behind."""

    def __init__(self, path: str, interval: float = CHECKPOINT_SECONDS) -> None:
        self.path, self.interval = path, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gridcare-checkpoints", daemon=True)
        self.done = 0  # checkpoints run (for the tests and the benchmarks)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=0, check_same_thread=False)
        failing = False
        try:
            while not self._stop.wait(self.interval):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.done += 1
                    failing = False
                except sqlite3.Error as exc:  # busy, say: the commits' own mark remains
                    if not failing:  # once when it starts failing, not four times a second
                        log.warning("sqlite_checkpoint_failed", error=type(exc).__name__)
                    failing = True
        finally:
            connection.close()


class Database:
    """The engine and session factory, plus `run()` to do a unit of work off the event loop."""

    def __init__(self, url: str, *, threads: int | None = None, keep_obligations: bool = True) -> None:
        """`keep_obligations=False` only for a database at an earlier schema (an upgrade's test
        writing what the previous version wrote): it has no obligation state to keep."""
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        threads = threads or (1 if self.is_sqlite else 4)
        self.engine = make_engine(url, pool_size=threads)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        if keep_obligations:
            keep_current(self.sessions)  # a unit of work keeps the obligations it changes true
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="gridcare-db")
        self.checkpoints: Checkpoints | None = None

    def start_checkpoints(self, interval: float = CHECKPOINT_SECONDS) -> None:
        """SQLite in a file: checkpoint the log off the database thread (`Checkpoints`), until
        `dispose`. The running bot does; a command-line run leaves it to SQLite's commits."""
        path = _file_path(make_url(self.url)) if self.is_sqlite else None
        if path is None or self.checkpoints is not None:
            return
        self.checkpoints = Checkpoints(path, interval)
        self.checkpoints.start()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits if the block succeeds and rolls back if it raises."""
        with self.sessions.begin() as session:
            yield session

    def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `fn(session, *args)` in one unit of work, synchronously (CLI, tests).

        If the connection is found dead before the commit (the server restarted, or ended it), the
        database rolled the work back and `fn` runs again from the start on a fresh connection
        (`RETRIES_ON_DISCONNECT` times at most): so `fn` does nothing but database work, as every
        unit of work here does. A connection lost during the COMMIT itself is not retried (whether it
        landed is unknown) and raises, as any other error does.
        """
        for attempt in range(RETRIES_ON_DISCONNECT + 1):
            with self.sessions() as session:
                try:
                    result = fn(session, *args, **kwargs)
                    session.flush()
                except DBAPIError as exc:
                    if not exc.connection_invalidated or attempt == RETRIES_ON_DISCONNECT:
                        raise
                    log.warning(
                        "db_connection_lost_retrying", attempt=attempt + 1, error=type(exc.orig).__name__
                    )
                    continue
                session.commit()
                return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `fn(session, *args)` in one unit of work on the database thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: self.call(fn, *args, **kwargs))

    def queued(self) -> int:
        """Units of work waiting for a database thread (for the metrics)."""
        return self._executor._work_queue.qsize()

    def dispose(self) -> None:
        if self.checkpoints is not None:
            self.checkpoints.stop()
        self._executor.shutdown(wait=True)
        self.engine.dispose()
