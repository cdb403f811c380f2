"""`gridcare backup` / `restore`: a consistent SQLite copy while the bot writes; pg_dump on PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli import app
from models.audit import AuditEntry
from models.people import Person
from models.sealing import open_field
from tests.factories import TEST_KEYS, make_person, make_tree

runner = CliRunner()


@pytest.fixture
def env(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    return tmp_path


@pytest.fixture
def sqlite_only(db):
    if not db.is_sqlite:
        pytest.skip("SQLite files only; PostgreSQL is refused (tested below)")
    return Path(make_url(db.url).database)


def gridcare(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


class Writer(threading.Thread):
    """Another connection (the running bot) inserting rows one transaction at a time."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self.written = 0
        self.running = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.written += 1
            self.conn.execute(
                "INSERT INTO processed_updates (bot_id, update_id, received_at) VALUES (1, ?, '2026-03-04')",
                (self.written,),
            )
            self.conn.commit()
            if self.written == 50:
                self.running.set()


def _count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM processed_updates").fetchone()[0]


def _city(db, keys, now) -> None:
    with db.unit_of_work() as s:
        tree = make_tree(s)
        for i in range(20):
            make_person(s, tree["G1"], keys=keys, now=now, code=f"P-{i}")


def test_a_backup_taken_while_another_connection_writes_restores_a_consistent_copy(
    db, keys, now, env, sqlite_only
):
    _city(db, keys, now)
    writer = Writer(sqlite_only)
    writer.start()
    assert writer.running.wait(10)
    out = gridcare("backup", str(env / "copy.db"))
    writer.stopping.set()
    writer.join(10)
    assert "backup written" in out and "key is not in the backup" in out
    copied = _count(env / "copy.db")
    assert 50 <= copied <= writer.written and _count(sqlite_only) == writer.written
    with sqlite3.connect(env / "copy.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        ids = [row[0] for row in conn.execute("SELECT update_id FROM processed_updates ORDER BY update_id")]
    assert ids == list(range(1, copied + 1))  # a prefix of the writes: nothing torn, nothing skipped
    assert (env / "copy.db").stat().st_mode & 0o777 == 0o600

    gridcare("restore", str(env / "copy.db"), "--yes")  # the writer's connection is still open
    assert _count(sqlite_only) == copied
    assert writer.conn.execute("SELECT count(*) FROM processed_updates").fetchone()[0] == copied
    writer.conn.close()
    assert len(list(sqlite_only.parent.glob("*.before-restore-*"))) == 1  # the replaced one, kept
    with db.unit_of_work() as s:
        phones = [open_field(keys, p, "phone") for p in s.scalars(select(Person))]
    assert len(phones) == 20 and all(p.startswith("1990000") for p in phones)


def test_a_backup_never_overwrites_an_existing_file(db, env, sqlite_only):
    (env / "copy.db").write_bytes(b"precious")
    assert "exists already" in gridcare("backup", str(env / "copy.db"), code=1)
    assert (env / "copy.db").read_bytes() == b"precious"


def test_restore_refuses_a_file_that_is_not_a_gridcare_database_and_keeps_the_live_one(
    db, keys, now, env, sqlite_only
):
    _city(db, keys, now)
    (env / "junk.db").write_bytes(b"not a database at all" * 100)
    sqlite3.connect(env / "empty.db").execute("CREATE TABLE t (x)").connection.commit()
    assert "not a SQLite database" in gridcare("restore", str(env / "junk.db"), "--yes", code=1)
    assert "not a Gridcare database" in gridcare("restore", str(env / "empty.db"), "--yes", code=1)
    with db.unit_of_work() as s:
        assert len(s.scalars(select(Person.id)).all()) == 20


def test_restore_asks_before_replacing_the_database(db, keys, now, env, sqlite_only):
    _city(db, keys, now)
    gridcare("backup", str(env / "copy.db"))
    result = runner.invoke(app, ["restore", str(env / "copy.db")], input="n\n")
    assert result.exit_code == 1 and "Stop the bot first" in result.output
    assert not list(sqlite_only.parent.glob("*.before-restore-*"))


def test_postgres_backup_and_restore_without_its_tools_print_the_pg_dump_commands(
    db, env, tmp_path, monkeypatch
):
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump, no pg_restore here
    for args in (("backup", str(tmp_path / "x.dump")), ("restore", __file__, "--yes")):
        out = gridcare(*args, code=2)
        assert "pg_dump --format=custom" in out and "pg_restore" in out
    assert not (tmp_path / "x.dump").exists()


def _audited(db, action: str) -> list[str]:
    with db.unit_of_work() as s:
        rows = s.execute(
            select(AuditEntry.detail).where(AuditEntry.action == action, AuditEntry.record_type == "database")
        )
        return [detail for (detail,) in rows]


def test_postgres_backup_and_restore_round_trip_with_pg_dump_audited(db, keys, now, env, tmp_path):
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.fail("pg_dump and pg_restore must be installed (.ci/run installs postgresql-client)")
    _city(db, keys, now)
    dump = tmp_path / "city.dump"
    out = gridcare("backup", str(dump))
    assert dump.exists() and "entries" in out and f"pg_restore --list {dump}" in out.replace("\n", "")
    assert "The encryption key is not in the backup" in out
    with db.unit_of_work() as s:
        s.execute(Person.__table__.update().values(code=Person.code + "-changed"))
    gridcare("restore", str(dump), "--yes")
    with db.unit_of_work() as s:
        people = s.scalars(select(Person).order_by(Person.code)).all()
        assert sorted(p.code for p in people) == sorted(f"P-{i}" for i in range(20))
        assert open_field(keys, people[0], "phone") is not None, "sealed fields open after the restore"
    assert _audited(db, "backup") == [], "the restore replaced the trail with the backup's"
    (restored,) = _audited(db, "restore")
    assert "file=city.dump" in restored


def test_a_postgres_backup_is_audited_and_a_bad_dump_is_refused_before_anything_changes(db, env, tmp_path):
    if db.is_sqlite or not shutil.which("pg_dump"):
        pytest.skip("PostgreSQL with its tools")
    gridcare("backup", str(tmp_path / "a.dump"))
    (entry,) = _audited(db, "backup")
    assert "file=a.dump" in entry and "entries=" in entry
    gridcare("backup", str(tmp_path / "a.dump"), code=1)  # never overwritten unasked
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a dump")
    assert "pg_restore --list failed" in gridcare("restore", str(junk), "--yes", code=1)
    assert _audited(db, "restore") == []
