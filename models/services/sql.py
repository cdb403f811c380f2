"""Small SQL helpers that must work the same on SQLite and PostgreSQL, built once and reused.

Building a SQLAlchemy statement and its cache key costs ~0.1 ms per call, more than SQLite takes to
run it; on the chat's hot path every update runs several. So the statements here are made once per
(dialect, shape) and kept: SQLAlchemy memoises a kept statement's cache key, and its compiled form
is then found in the engine's cache, leaving only the parameters to bind.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    CursorResult,
    Executable,
    Table,
    any_,
    bindparam,
    case,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import QueryableAttribute, Session

T = TypeVar("T")


IN_CHUNK = 500  # ids per IN (...) list: well within every driver's limit on bound parameters


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size` (an IN list per slice, a batch per slice)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def one_of(
    session: Session, column: ColumnElement[Any] | QueryableAttribute[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """`column IN values` as one parameter however many values: on PostgreSQL `column = ANY(:array)`
    (psycopg's advice for a list), on SQLite `column IN (SELECT value FROM json_each(:json))`. A
    batch's thousands of ids as an IN list are thousands of parameters that SQLAlchemy renders, the
    driver splits and the server parses on every statement (a province's morning 10.3 → 8.3 s, its
    ladder 8.2 → 5.9 s; BENCHMARKS.md section 15; a city's morning rows on SQLite 0.34 → 0.31 s,
    section 17). Planned once for any array, PostgreSQL searches it element by element for each row
    it filters: the morning and its refresh plan each statement for their batch (`custom_plans`);
    the ladder measured no need. SQLite reads the list once and looks each value up by index.

    On SQLite the values must be of the column's type: JSON keeps 123 and '123' apart and SQLite
    compares them as they are (an IN list would have converted them to the column's affinity);
    PostgreSQL casts the array to the column's type."""
    return _one_of(dialect_of(session), column, None, list(values))


def bound_one_of(
    dialect: str, column: ColumnElement[Any] | QueryableAttribute[Any], name: str
) -> ColumnElement[bool]:
    """`one_of` for a statement built once: the values are bound at run time as `name` (a list)."""
    return _one_of(dialect, column, name)


def _one_of(
    dialect: str, column: ColumnElement[Any] | QueryableAttribute[Any], name: str | None, values: Any = None
) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return column == any_(bindparam(name, values, type_=ARRAY(column.type)))
    listed = func.json_each(bindparam(name, values, type_=JSON())).table_valued("value")
    return column.in_(select(listed.c.value))


def sum_of(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of a group meet the condition (0 for none)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def changed_rows(session: Session, stmt: Executable) -> int:
    """How many rows an UPDATE or DELETE changed (its cursor's rowcount).

    Session.execute returns a CursorResult for these (SQLAlchemy's documentation), though its
    signature says only Result, which has no rowcount.
    """
    return cast(CursorResult[Any], session.execute(stmt)).rowcount


def _dialect_insert(dialect: str) -> Any:
    return pg_insert if dialect == "postgresql" else sqlite_insert


@cache
def _insert_ignore(
    dialect: str, table: Table, conflict: tuple[str, ...], returning: str | None
) -> Executable:
    stmt = _dialect_insert(dialect)(table).on_conflict_do_nothing(index_elements=list(conflict))
    return stmt if returning is None else stmt.returning(table.c[returning])


@cache
def _upsert(
    dialect: str, table: Table, conflict: tuple[str, ...], update: tuple[str, ...], returning: str | None
) -> Executable:
    insert = _dialect_insert(dialect)(table)
    stmt = insert.on_conflict_do_update(
        index_elements=list(conflict), set_={name: insert.excluded[name] for name in update}
    )
    return stmt if returning is None else stmt.returning(table.c[returning])


def insert_ignore(
    session: Session, model: type[Any], values: dict[str, Any], conflict: Sequence[str], returning: Any
) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING `returning`: the new value, or None if the row existed.

    Safe under concurrency (two processes, one wins), unlike a SELECT followed by an INSERT.
    """
    stmt = _insert_ignore(dialect_of(session), model.__table__, tuple(conflict), returning.key)
    return session.execute(stmt, values).scalar()


def insert_ignore_many(
    session: Session,
    model: type[Any],
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: Any = None,
) -> list[Any]:
    """Many rows at once, each INSERTed unless its `conflict` key exists: one statement per batch of
    rows (SQLAlchemy's "insertmanyvalues"), not a round trip per row. With `returning`, the values
    of the rows actually inserted (for a count), else an empty list."""
    if not rows:
        return []
    key = None if returning is None else returning.key
    stmt = _insert_ignore(dialect_of(session), model.__table__, tuple(conflict), key)
    result = session.execute(stmt, list(rows))
    return [] if returning is None else list(result.scalars())


def upsert(
    session: Session, model: type[Any], values: dict[str, Any], conflict: Sequence[str], returning: Any = None
) -> Any:
    """INSERT … ON CONFLICT (conflict) DO UPDATE every other given column: one statement, no read first.
    With `returning` (a column), that column of the row inserted or updated."""
    update = tuple(sorted(k for k in values if k not in conflict))
    key = None if returning is None else returning.key
    result = session.execute(
        _upsert(dialect_of(session), model.__table__, tuple(conflict), update, key), values
    )
    return None if returning is None else result.scalar_one()


def analyze(session: Session, *models: type[Any]) -> None:
    """Refresh PostgreSQL's planner statistics for these tables, within the session's transaction.

    After a bulk write (an import, the demo city) the planner would otherwise keep estimating from
    the empty or small tables it last saw until autovacuum comes round, and choose nested loops
    that take minutes. SQLite keeps no statistics unless asked, and its plans here were chosen and
    measured without them, so it is left as it is.
    """
    if dialect_of(session) != "postgresql" or not models:
        return
    quote = session.get_bind().dialect.identifier_preparer.quote
    session.execute(text("ANALYZE " + ", ".join(quote(model.__tablename__) for model in models)))


AGGREGATE_MEMORY_MB = 256


def roomy_aggregates(session: Session) -> None:
    """PostgreSQL: let the rest of this transaction hash and sort in memory up to
    `AGGREGATE_MEMORY_MB` per operation (`SET LOCAL work_mem`) instead of the server's default
    (4 MB), for grouping a country's millions of rows by area (a digest): at the default the groups
    spill to temporary files, ≈ 30 % slower. SQLite has no such setting."""
    if dialect_of(session) == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{AGGREGATE_MEMORY_MB}MB'"))


def custom_plans(session: Session) -> None:
    """PostgreSQL: plan each statement of the rest of this transaction for its own values (`SET
    LOCAL plan_cache_mode = force_custom_plan`). The driver prepares a statement after its fifth
    run, and PostgreSQL may then plan it once for any values: for a subtree's statements, whose
    subtrees range from a community to a country, that one plan fits none (a community's review
    counts 4 → 18 ms in a province's digests, BENCHMARKS.md section 13). The same for a batch's
    ids as one array (`one_of`): planned once for any array, `= ANY($1)` is searched element by
    element for each row it filters (a province's morning with its kept state a day behind, 34 s
    → 110 s; section 15). SQLite has no such setting."""
    if dialect_of(session) == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def reads_in_memory(session: Session) -> None:
    """PostgreSQL: cost the rest of this transaction's reads as those of a database held in memory
    (`SET LOCAL random_page_cost = 1.1`, the usual figure for solid-state disks; the default 4.0 is a
    spinning disk's). A morning batch reads a few thousand persons by id, their kept items and
    stamps; at 4.0 PostgreSQL scans and hashes every person and every item for each batch instead
    (a province's morning 16.0 → 12.5 s, BENCHMARKS.md section 14). SQLite has no such setting."""
    if dialect_of(session) == "postgresql":
        session.execute(text("SET LOCAL random_page_cost = 1.1"))


@contextmanager
def by_index(session: Session) -> Iterator[None]:
    """PostgreSQL: plan the statements run inside without sequential scans (`SET LOCAL
    enable_seqscan = off`, reset after). For a read of a few hundred keys by an index whose table's
    statistics may say it is empty when it is not (the overdue notices while a first day's ladder
    fills them, before autovacuum analyzes them: a scan of every notice per 500 persons). SQLite
    has no such setting."""
    with _setting(session, "enable_seqscan"):
        yield


@contextmanager
def without_nested_loops(session: Session) -> Iterator[None]:
    """PostgreSQL: plan the statements run inside without nested-loop joins (`SET LOCAL
    enable_nestloop = off`, reset after). For an anti-join whose inner side the statistics say is
    empty but is not (today's morning marks, analyzed before the day's first): a nested loop then
    reads every inner row for each outer one, where a merge or hash join reads each once. SQLite
    has no such setting."""
    with _setting(session, "enable_nestloop"):
        yield


@contextmanager
def _setting(session: Session, name: str) -> Iterator[None]:
    """A planner method switched off for the statements run inside (PostgreSQL only)."""
    if dialect_of(session) != "postgresql":
        yield
        return
    session.execute(text(f"SET LOCAL {name} = off"))
    try:
        yield
    finally:
        session.execute(text(f"RESET {name}"))
