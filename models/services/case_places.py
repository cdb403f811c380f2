"""The grids a person may be transferred to: the other grids of the same town (then county)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.areas import Area, AreaLevel
from models.people import Person

MAX_GRIDS = 12  # one keyboard


@dataclass(frozen=True)
class GridChoice:
    id: int
    name: str


def grids_near(session: Session, person_id: int) -> list[GridChoice]:
    """Other grids under the nearest ancestor that has any (community, town, county, city), by name."""
    row = session.execute(
        select(Area.id, Area.path).join(Person, Person.area_id == Area.id).where(Person.id == person_id)
    ).first()
    if row is None:
        return []
    codes = row.path.strip("/").split("/")
    for depth in range(len(codes) - 1, 0, -1):
        prefix = "/" + "/".join(codes[:depth]) + "/"
        found = session.execute(
            select(Area.id, Area.name)
            .where(Area.level == AreaLevel.grid, Area.path.startswith(prefix), Area.id != row.id)
            .order_by(Area.name, Area.id)
            .limit(MAX_GRIDS)
        ).all()
        if found:
            return [GridChoice(a, n) for a, n in found]
    return []
