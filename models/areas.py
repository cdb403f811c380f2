"""The grid tree: city → county/district → town/street → community → grid (网格)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, Select, SQLColumnExpression, String, and_, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from models.base import Base, BigId

CODE_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"


class AreaLevel(StrEnum):
    city = "city"
    county = "county"
    town = "town"
    community = "community"
    grid = "grid"


LEVEL_ORDER = list(AreaLevel)

# Byte-wise ordering makes the path range below exact; PostgreSQL's default collation is not byte-wise.
PathType = String(400).with_variant(String(400, collation="C"), "postgresql")


class Area(Base):
    """One node of the grid tree. `path` is the codes from the root, '/'-separated and '/'-terminated."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[AreaLevel] = mapped_column(Enum(AreaLevel, native_enum=False, length=20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    path: Mapped[str] = mapped_column(PathType)
    address: Mapped[str | None] = mapped_column(String(200), doc="the station's public address")

    __table_args__ = (Index("ix_areas_path", "path", unique=True),)


def child_path(parent_path: str | None, code: str) -> str:
    """The path of an area with this code under a parent path (None for a root)."""
    return f"{parent_path or '/'}{code}/"


def subtree_bounds(path: str) -> tuple[str, str]:
    """The paths of the subtree rooted at `path` are exactly those with low <= p < high."""
    # '/' is followed by '0' in byte order and codes never contain '/', so this is exactly the prefix.
    return path, path[:-1] + "0"


def within(path_column: SQLColumnExpression[str], path: str) -> ColumnElement[bool]:
    """`path_column` lies in the subtree rooted at `path` (itself included), as an index range scan."""
    low, high = subtree_bounds(path)
    return and_(path_column >= low, path_column < high)


def subtree_ids(path: str) -> Select[tuple[int]]:
    """A select of the ids of the areas of the subtree at `path`, to look a row's area up in
    (`area_id IN (…)`): SQLite then reads no area row per row. On the table, so that a Core
    statement that takes it stays one."""
    areas = Area.__table__
    return select(areas.c.id).where(within(areas.c.path, path))


def within_bound(path_column: SQLColumnExpression[str]) -> ColumnElement[bool]:
    """`within` for a statement built once: the bounds are the parameters `low` and `high`, given
    at run time from `subtree_bounds`."""
    return and_(path_column >= bindparam("low"), path_column < bindparam("high"))
