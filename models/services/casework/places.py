"""The grids a person may be transferred to: the other grids of their county, nearest first."""

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
    """Other grids of the person's county (or city), the nearest first: same community, town, county."""
    row = session.execute(
        select(Area.id, Area.path).join(Person, Person.area_id == Area.id).where(Person.id == person_id)
    ).first()
    if row is None:
        return []
    codes = row.path.strip("/").split("/")
    within = "/" + "/".join(codes[: min(2, len(codes))]) + "/"
    found = list(
        session.execute(
            select(Area.id, Area.name, Area.path, Area.code).where(
                Area.level == AreaLevel.grid, Area.path.startswith(within), Area.id != row.id
            )
        ).all()
    )

    def shared(path: str) -> int:
        other = path.strip("/").split("/")
        return next((n for n, (a, b) in enumerate(zip(codes, other, strict=False)) if a != b), len(other))

    found.sort(key=lambda a: (-shared(a.path), a.code))
    return [GridChoice(a.id, a.name) for a in found[:MAX_GRIDS]]
