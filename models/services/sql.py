"""Small SQL helpers that must work the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ignore(
    session: Session, model: type[Any], values: dict[str, Any], conflict: list[str], returning: Any
) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING `returning`: the new value, or None if the row existed.

    Safe under concurrency (two processes, one wins), unlike a SELECT followed by an INSERT.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict).returning(returning)
    return session.execute(stmt).scalar()
