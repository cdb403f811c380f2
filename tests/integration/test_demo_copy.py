"""The demo city on PostgreSQL: COPY writes exactly what INSERTs write, and leaves planner statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.db import Database
from bot.demo import generate_demo_city
from bot.demo.bulk import table_of
from bot.demo.city import TABLES
from models.audit import Actor
from models.crypto import KeyRing, Slot
from models.services.spreadsheets.importing import apply_import, plan_import
from models.services.spreadsheets.tables import read_table

pytestmark = pytest.mark.postgres  # COPY and ANALYZE are PostgreSQL's; SQLite writes by INSERT only

PERSONS = 230  # one community, a few grids
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _every_row(db: Database, keys: KeyRing) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of every table the demo writes, by id; sealed values opened (their nonces differ)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with db.unit_of_work() as s:
        for model in TABLES:
            table = table_of(model)
            found = []
            for row in s.execute(select(table).order_by(table.c.id)).mappings():
                found.append(tuple(_opened(keys, table.name, row, name) for name in row))
            rows[table.name] = found
    return rows


def _opened(keys: KeyRing, table: str, row: Any, name: str) -> Any:
    value = row[name]
    if name.endswith("_enc") and value is not None:
        return keys.open(value, Slot(table, name.removesuffix("_enc"), row["id"]))
    return value


def _generate(db: Database, keys: KeyRing, now, *, use_copy: bool) -> None:
    with db.unit_of_work() as s:
        generate_demo_city(s, persons=PERSONS, seed=5, keys=keys, now=now, use_copy=use_copy)


def test_the_same_seed_writes_the_same_rows_by_copy_and_by_insert(pg, keys, now, empty_postgres):
    _generate(pg, keys, now, use_copy=False)
    inserted = _every_row(pg, keys)
    empty_postgres()
    _generate(pg, keys, now, use_copy=True)
    copied = _every_row(pg, keys)
    assert {name: len(rows) for name, rows in copied.items()} == {
        name: len(rows) for name, rows in inserted.items()
    }
    assert len(copied["persons"]) == PERSONS and len(copied["records"]) > 10 * PERSONS
    for name in inserted:
        assert copied[name] == inserted[name], name


def _statistics(db: Database, tables: tuple[str, ...]) -> dict[str, tuple[Any, float]]:
    """table → (last ANALYZE, rows the planner believes it has)."""
    with db.engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT s.relname, s.last_analyze, c.reltuples FROM pg_stat_user_tables s "
                "JOIN pg_class c ON c.oid = s.relid WHERE s.relname = ANY(:tables)"
            ),
            {"tables": list(tables)},
        )
        return {name: (analyzed, reltuples) for name, analyzed, reltuples in found}


def _server_now(db: Database):
    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT clock_timestamp()"))


def test_a_demo_city_leaves_the_planner_statistics_of_every_table_it_wrote(pg, keys, now):
    started = _server_now(pg)
    _generate(pg, keys, now, use_copy=True)
    stats = _statistics(pg, tuple(model.__tablename__ for model in TABLES))
    assert set(stats) == {model.__tablename__ for model in TABLES}
    for name, (analyzed, reltuples) in stats.items():
        assert analyzed is not None and analyzed >= started, name
        assert reltuples > 0, name
    assert stats["persons"][1] == PERSONS  # a table this small is read whole


def test_an_import_leaves_the_planner_statistics_of_the_tables_it_wrote(pg, keys, now):
    started = _server_now(pg)
    for kind in ("areas", "workers", "persons"):
        source = EXAMPLES / {"areas": "areas.csv", "workers": "workers.csv", "persons": "persons.xlsx"}[kind]
        with pg.unit_of_work() as s:
            plan = plan_import(s, kind, read_table(source))
            apply_import(s, plan, keys=keys, actor=Actor.cli(), now=now)
    stats = _statistics(pg, ("areas", "workers", "persons", "care_assignments"))
    assert {name: reltuples for name, (_, reltuples) in stats.items()} == {
        "areas": 11,
        "workers": 8,
        "persons": 12,
        "care_assignments": 12,
    }
    assert all(analyzed >= started for analyzed, _ in stats.values())
