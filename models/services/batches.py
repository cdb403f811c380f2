"""A large area's work in batches, so that memory follows the batch, not the province.

The sweep's jobs compute every person's obligations at once (one set-based statement), and keep
what they computed until their messages are made: a city's rows take ~100 MB, a country's 4 GB.
Done in batches of about `BATCH_PERSONS` persons, the peak is one batch's whatever the area's size,
while each batch is still one statement: smaller batches cost no more time in all.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.areas import Area, AreaLevel, within
from models.people import ACTIVE_STATUSES, CareAssignment, Person
from models.services.reminders.due_lists import delegates_on
from models.services.sql import chunks

# Measured on the 100,000-person province (SQLite): batches of 1,000 workers / 10,000 persons
# peaked at 293 MB, 500 / 5,000 at 234 MB, 250 / 2,500 at 193 MB, all in the same time.
BATCH_PERSONS = 2_500
BATCH_WORKERS = 250  # ≈ 10 persons each


def area_batches(session: Session, area_path: str | None, persons: int | None = None) -> list[list[int]]:
    """The areas of a subtree that hold managed persons, in tree order, grouped so that each group
    holds about `persons` (default BATCH_PERSONS) of them. A community (社区) is never split: its
    cadre is told about all its grids' people in one message, so its grids share a batch."""
    query = (
        select(Area.id, Area.path, func.count(Person.id))
        .join(Person, Person.area_id == Area.id)
        .where(Person.status.in_(ACTIVE_STATUSES))
        .group_by(Area.id, Area.path)
        .order_by(Area.path)
    )
    communities = select(Area.path).where(Area.level == AreaLevel.community)
    if area_path is not None:
        query = query.where(within(Area.path, area_path))
        communities = communities.where(within(Area.path, area_path))
    units: dict[str, list[tuple[int, int]]] = {}  # community (or the area itself) → its areas
    known = set(session.scalars(communities))
    for area_id, path, count in session.execute(query):
        units.setdefault(_community_of(path, known), []).append((area_id, count))
    limit = persons or BATCH_PERSONS
    batches: list[list[int]] = []
    size = limit  # start a new batch at the first unit
    for areas in units.values():  # in path order: a community's areas follow one another
        count = sum(n for _, n in areas)
        if size + count > limit and size > 0:
            batches.append([])
            size = 0
        batches[-1].extend(area_id for area_id, _ in areas)
        size += count
    return batches


def caseload_areas(session: Session, worker_ids: Collection[int], *, day: date) -> list[int]:
    """The areas of the people these workers care for that day (in any case role, or handed to them):
    one batch, for the sweep of a few workers who joined late (models.services.reminders.joiners)."""
    wanted = set(worker_ids)
    givers = {giver for giver, taker in delegates_on(session, day).items() if taker in wanted}
    found: set[int] = set()
    for chunk in chunks(sorted(wanted | givers)):
        found.update(
            session.scalars(
                select(Person.area_id)
                .distinct()
                .join(CareAssignment, CareAssignment.person_id == Person.id)
                .where(CareAssignment.worker_id.in_(chunk))
            )
        )
    return sorted(found)


def _community_of(path: str, communities: set[str]) -> str:
    """The path of the community an area lies in (itself, an ancestor), else the area's own path."""
    parts = path.split("/")  # "/CITY/COUNTY/…/" → "", "CITY", …, ""
    for end in range(2, len(parts)):
        prefix = "/".join(parts[:end]) + "/"
        if prefix in communities:
            return prefix
    return path
