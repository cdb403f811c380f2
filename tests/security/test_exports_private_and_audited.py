"""Issue 17.5 (export half) and 17.16: exports are private files, and what left with them is audited.

Reported: `gridcare export persons --with-sensitive` wrote its file 0644 (ID numbers, phones and
addresses readable by every local account; backups were already 0600); such a bulk export showed
in `gridcare audit --person` for none of the persons it held (one area-level entry only); and
`gridcare restore` left no trace in the audit trail. Both backends where a database is involved;
the restore is SQLite's (PostgreSQL's is pg_restore, outside gridcare).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from typer.testing import CliRunner

from bot.cli import app
from models.audit import Actor, AuditEntry
from models.people import Person
from models.services.audit_query import person_trail
from models.services.spreadsheets.exporting import export_persons
from tests.factories import TEST_KEYS, make_person, make_tree

runner = CliRunner()


@pytest.fixture
def env(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    return tmp_path


def gridcare(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _city(db, keys, now, persons: int = 3) -> list[str]:
    with db.unit_of_work() as s:
        tree = make_tree(s, prefix="E")
        made = [make_person(s, tree["G1"], keys=keys, now=now, code=f"E-P{n}") for n in range(persons)]
        s.flush()
        return [p.code for p in made] + [tree["CITY"].code]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_sensitive_export_file_is_created_0600(db, keys, now, env, fmt):
    *_, city = _city(db, keys, now)
    out = env / f"sensitive.{fmt}"
    old = os.umask(0o022)  # the usual umask, under which the file used to come out 0644
    try:
        gridcare("export", "persons", "--area", city, "--with-sensitive", "--format", fmt, "-o", str(out))
    finally:
        os.umask(old)
    assert _mode(out) == 0o600
    assert not [p.name for p in env.iterdir() if "partial" in p.name], "no partial file is left behind"


def test_an_export_over_an_older_world_readable_file_makes_it_0600(db, keys, now, env):
    *_, city = _city(db, keys, now)
    out = env / "persons.csv"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o644)
    gridcare("export", "persons", "--area", city, "--with-sensitive", "--format", "csv", "-o", str(out))
    assert _mode(out) == 0o600 and "E-P0" in out.read_text(encoding="utf-8-sig")


def test_a_bulk_sensitive_export_is_in_the_trail_of_every_person_it_held(db, keys, now):
    *codes, city = _city(db, keys, now, persons=4)
    inserts: list[int] = []

    def count_audit_inserts(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            inserts.append(len(parameters) if executemany else 1)

    event.listen(db.engine, "before_cursor_execute", count_audit_inserts)
    try:
        with db.unit_of_work() as s:
            export_persons(s, city, keys=keys, actor=Actor.cli(), now=now, with_sensitive=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_audit_inserts)
    assert inserts == [1, 4], "the area's entry, then one bulk insert for the persons"
    for code in codes:
        with db.unit_of_work() as s:
            trail = person_trail(s, code, actor=Actor.cli(), now=now)
        exports = [(line.action, line.detail) for line in trail if line.action == "export"]
        assert exports == [("export", "sensitive:id_number,phone,address")], code


def _exports_about_persons(db) -> int:
    with db.unit_of_work() as s:
        about = AuditEntry.person_id.is_not(None) & (AuditEntry.action == "export")
        return s.scalar(select(func.count()).select_from(AuditEntry).where(about)) or 0


def test_an_export_without_sensitive_fields_adds_no_entry_per_person(db, keys, now):
    *_, city = _city(db, keys, now)
    with db.unit_of_work() as s:
        export_persons(s, city, keys=keys, actor=Actor.cli(), now=now)
    assert _exports_about_persons(db) == 0


def test_a_restore_is_in_the_restored_databases_audit_trail(db, keys, now, env):
    if not db.is_sqlite:
        pytest.skip("gridcare restores SQLite files; PostgreSQL is restored with pg_restore")
    _city(db, keys, now)
    gridcare("backup", str(env / "copy.db"))
    gridcare("restore", str(env / "copy.db"), "--yes")
    with db.unit_of_work() as s:
        entries = s.execute(
            select(AuditEntry.action, AuditEntry.record_type, AuditEntry.actor_kind, AuditEntry.detail).where(
                AuditEntry.action == "restore"
            )
        ).all()
        persons = s.scalar(select(func.count()).select_from(Person))
    assert persons == 3
    assert [(a, r, str(k)) for a, r, k, _ in entries] == [("restore", "database", "cli")]
    assert entries[0].detail.startswith("file=copy.db;revision=")
