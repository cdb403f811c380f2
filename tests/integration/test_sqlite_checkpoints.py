"""SQLite's write-ahead log is copied back into the database file by the running bot's own thread
(bot.db.Checkpoints), not by whichever update's commit takes the log past SQLite's mark."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import bot.db as db_module
from bot.db import Database


def _write(db: Database, rows: int) -> None:
    """`rows` commits of 4 KB each on one connection whose commits never checkpoint themselves."""
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, v TEXT)")
        connection.commit()
        for _ in range(rows):
            connection.exec_driver_sql("INSERT INTO filler (v) VALUES (?)", ("x" * 4000,))
            connection.commit()


def _eventually(happened: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if happened():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("running", [True, False])
def test_the_log_is_copied_back_by_the_checkpoint_thread_alone(tmp_path: Path, running: bool) -> None:
    path = tmp_path / "gridcare.db"
    db = Database(f"sqlite:///{path}", keep_obligations=False)
    try:
        if running:
            db.start_checkpoints(interval=0.02)
        _write(db, 100)  # 400 KB, in the log only until something checkpoints it
        grown = _eventually(lambda: path.stat().st_size > 300_000, 5.0 if running else 0.5)
        assert grown is running
        # The file grows while the thread's checkpoint runs, before the thread counts it as done.
        counted = _eventually(
            lambda: db.checkpoints is not None and db.checkpoints.done > 0, 5.0 if running else 0.1
        )
        assert counted is running
    finally:
        db.dispose()
    if running:
        assert db.checkpoints is not None and not db.checkpoints.running  # stopped with it


def test_no_checkpoint_thread_in_memory_for_a_uri_or_twice(tmp_path: Path) -> None:
    for url in ("sqlite://", f"sqlite:///file:{tmp_path / 'u.db'}?mode=rwc&uri=true"):
        other = Database(url, keep_obligations=False)
        other.start_checkpoints()
        assert other.checkpoints is None, url
        other.dispose()
    db = Database(f"sqlite:///{tmp_path / 'g.db'}", keep_obligations=False)
    db.start_checkpoints(interval=0.05)
    first = db.checkpoints
    db.start_checkpoints(interval=0.05)
    assert db.checkpoints is first
    db.dispose()
    assert os.path.exists(tmp_path / "g.db")


class _Busy:
    def execute(self, _sql: str) -> None:
        raise sqlite3.OperationalError("database is locked")

    def close(self) -> None:
        pass


def test_a_failing_checkpoint_is_logged_once_and_retried(tmp_path: Path, monkeypatch) -> None:
    logged: list[tuple[str, dict[str, str]]] = []

    class Log:  # the module's logger, as configured loggers are cached on first use
        def warning(self, event: str, **fields: str) -> None:
            logged.append((event, fields))

    monkeypatch.setattr(db_module, "log", Log())
    monkeypatch.setattr(db_module.sqlite3, "connect", lambda *_args, **_kwargs: _Busy())
    checkpoints = db_module.Checkpoints(str(tmp_path / "g.db"), interval=0.01)
    checkpoints.start()
    time.sleep(0.2)  # some twenty attempts
    checkpoints.stop()
    assert logged == [("sqlite_checkpoint_failed", {"error": "OperationalError"})]
    assert checkpoints.done == 0 and not checkpoints.running
