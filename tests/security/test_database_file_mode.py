"""Issue 17.5 (database half): the SQLite database and its -wal and -shm files are the owner's only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from models.services.backup.sqlite import backup_sqlite, restore_sqlite
from tests.factories import TEST_KEYS, make_tree


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most accounts have (022), under which sqlite3 alone creates files 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _modes(folder: Path) -> dict[str, str]:
    return {p.name: stat.filemode(p.stat().st_mode) for p in sorted(folder.iterdir())}


def test_a_new_database_and_its_wal_and_shm_are_created_0600(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    db = Database(f"sqlite:///{folder / 'gridcare.db'}")
    try:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        with db.engine.connect() as conn:  # the -wal and -shm exist while a connection is open
            conn.exec_driver_sql("SELECT * FROM t").all()
            modes = _modes(folder)
    finally:
        db.dispose()
    assert set(modes) == {"gridcare.db", "gridcare.db-wal", "gridcare.db-shm"}
    assert set(modes.values()) == {"-rw-------"}


def test_db_upgrade_creates_the_database_0600(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", "sqlite:///./gridcare.db")
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert stat.filemode((tmp_path / "gridcare.db").stat().st_mode) == "-rw-------"


def test_a_restore_to_a_new_place_creates_the_database_0600(db, tmp_path):
    if not db.is_sqlite:
        pytest.skip("backup and restore are SQLite's; PostgreSQL uses pg_dump")
    with db.unit_of_work() as s:
        make_tree(s)
    source = Path(db.engine.url.database)
    backup = backup_sqlite(source, tmp_path / "copy.db")
    target = tmp_path / "elsewhere" / "gridcare.db"
    restore_sqlite(backup.path, target)
    assert stat.filemode(target.stat().st_mode) == "-rw-------"
