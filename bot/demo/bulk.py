"""Writing the demo city's rows in bulk: COPY on PostgreSQL, multi-row INSERTs elsewhere.

Every row carries an id assigned here (continuing after each table's largest), so nothing needs
RETURNING and PostgreSQL can take whole tables through `COPY … FROM STDIN` (psycopg 3's
`cursor.copy()`), which is many times faster than an INSERT per row. Both ways store the same
values: each value goes through its column type's SQLAlchemy bind processing (enums as text, JSON,
UTC timestamps). A column the rows leave out gets SQLAlchemy's default from an INSERT and the
database's from COPY; the migrations make the two agree for these tables, and a test compares every
column as written both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import count
from typing import Any

from sqlalchemy import Table, false, func, insert, select
from sqlalchemy.orm import Session

from models.base import Base

Row = dict[str, Any]
INSERT_CHUNK = 5_000  # rows per executemany on the INSERT path


def table_of(model: type[Base]) -> Table:
    return model.__table__


class Ids:
    """Explicit primary keys, continuing after each table's largest, so inserts need no RETURNING."""

    def __init__(self, session: Session, models: Sequence[type[Base]]) -> None:
        self._next = {
            model: count((session.scalar(select(func.max(table_of(model).c.id))) or 0) + 1)
            for model in models
        }

    def take(self, model: type[Base]) -> int:
        return next(self._next[model])


class BulkWriter:
    """Appends rows to tables within the session's transaction, by COPY where `use_copy`."""

    def __init__(self, session: Session, *, use_copy: bool | None = None) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect
        self.use_copy = self.dialect.name == "postgresql" if use_copy is None else use_copy
        if self.use_copy and self.dialect.driver != "psycopg":
            raise ValueError("COPY needs PostgreSQL through psycopg 3")
        self._plans: dict[tuple[Table, tuple[str, ...]], _CopyPlan] = {}

    def write(self, model: type[Base], rows: list[Row]) -> None:
        """Append `rows` (dicts with the same keys) to the model's table."""
        if not rows:
            return
        table = table_of(model)
        if not self.use_copy:
            for start in range(0, len(rows), INSERT_CHUNK):
                self.session.execute(insert(table), rows[start : start + INSERT_CHUNK])
            return
        key = (table, tuple(rows[0]))
        plan = self._plans.get(key) or self._plans.setdefault(key, _CopyPlan(table, key[1], self.dialect))
        driver = self.session.connection().connection.driver_connection  # psycopg's own connection
        assert driver is not None, "a connection checked out of the pool has its driver's"
        cursor = driver.cursor()
        with cursor, cursor.copy(plan.statement) as copy:
            for row in rows:
                copy.write_row(plan.values(row))


class _CopyPlan:
    """For one table and one set of row keys: the COPY statement and how to turn a row into values."""

    def __init__(self, table: Table, keys: tuple[str, ...], dialect: Any) -> None:
        quote = dialect.identifier_preparer.quote
        self.keys = keys
        self.statement = f"COPY {quote(table.name)} ({', '.join(quote(key) for key in keys)}) FROM STDIN"
        self.processors: list[Callable[[Any], Any] | None] = [
            table.c[key].type.dialect_impl(dialect).bind_processor(dialect) for key in keys
        ]

    def values(self, row: Row) -> list[Any]:
        return [
            row[key] if process is None else process(row[key])
            for key, process in zip(self.keys, self.processors, strict=True)
        ]


def advance_sequences(session: Session, models: Sequence[type[Base]]) -> None:
    """PostgreSQL's id sequences did not see the explicit ids: move them past the largest."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = table_of(model)
        sequence = func.pg_get_serial_sequence(table.name, "id")
        session.execute(select(func.setval(sequence, func.coalesce(func.max(table.c.id), 0) + 1, false())))
