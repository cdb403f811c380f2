"""A synthetic, obviously fake city (演示市) for demos, the sandbox and benchmarks, written in bulk.

Codes start with DEMO, names and numbers come from `names`, and the same seed gives the same
city, whichever way its rows are written (`bulk`: COPY on PostgreSQL, INSERTs elsewhere). Rows carry
ids assigned here (continuing after each table's largest id), so run it on a quiet database: a
concurrent writer could take the same ids. The planner's statistics are refreshed at the end.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.demo import names
from bot.demo.bulk import BulkWriter, Ids, Row, advance_sequences
from bot.demo.names import CITY_CODE
from bot.demo.people import GridSlot, People, person_batches
from models.areas import Area, AreaLevel, child_path
from models.audit import Actor, audit
from models.base import Base
from models.crypto import KeyRing
from models.people import CareAssignment, ColourChange, FamilyMember, Person, Role, Worker
from models.records import Record
from models.sealing import check_ring
from models.services.sql import analyze

PERSONS_PER_COMMUNITY = 220
COMMUNITIES_PER_TOWN = 10
TOWNS_PER_COUNTY = 10
PERSONS_PER_WORKER = 10  # all staff counted; grid workers alone carry ~12 each
OFFICE_HOURS = "周一至周五 9:00-17:00"

TABLES: tuple[type[Base], ...] = (Area, Worker, Person, ColourChange, CareAssignment, FamilyMember, Record)


@dataclass(frozen=True)
class DemoSummary:
    """What `generate_demo_city` wrote."""

    city_code: str
    areas: int
    workers: int
    persons: int
    records: int
    families: int


def generate_demo_city(
    session: Session,
    *,
    persons: int,
    seed: int = 1,
    keys: KeyRing,
    now: datetime,
    workers: int | None = None,
    supervisors: int | None = None,
    progress: Callable[[int], None] | None = None,
    use_copy: bool | None = None,
) -> DemoSummary:
    """Write a fake city of `persons` people, their workers and eight weeks of records; audited once.

    `workers` is the whole staff (default one per 10 persons); `supervisors` the total number of
    supervisors (default one per community, town, county and the city), adjusted at community level.
    `use_copy`: write with PostgreSQL's COPY (default: on PostgreSQL) or with INSERTs.
    Raises ValueError if a demo city is already there.
    """
    if persons < 0:
        raise ValueError("persons must be zero or more")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    _refuse_existing(session)
    check_ring(session, keys)  # before any value is sealed: the ring is the one this database knows
    writer = BulkWriter(session, use_copy=use_copy)
    rng = random.Random(seed)
    ids = Ids(session, TABLES)
    staff = _CityBuilder(rng, ids).build(_shape(persons, workers, supervisors))
    writer.write(Area, staff.areas)
    writer.write(Worker, staff.workers)
    loads = _apportion(persons, [rng.uniform(0.7, 1.3) for _ in staff.slots])
    people = People(rng, ids, keys, now)
    records = families = 0
    for done, batch in person_batches(people, staff.slots, loads):
        batch.write(writer)
        records, families = records + len(batch.records), families + len(batch.families)
        if progress is not None:
            progress(done)
    advance_sequences(session, TABLES)
    audit(session, Actor.cli(), "demo-data", "persons", None, at=now, detail=f"n={persons}")
    analyze(session, *TABLES)
    return DemoSummary(CITY_CODE, len(staff.areas), len(staff.workers), persons, records, families)


def _refuse_existing(session: Session) -> None:
    found = session.scalar(
        select(Area.id).where(or_(Area.code == CITY_CODE, Area.code.startswith(f"{CITY_CODE}-"))).limit(1)
    )
    found = found or session.scalar(select(Worker.id).where(Worker.code.startswith(f"{CITY_CODE}-")).limit(1))
    found = found or session.scalar(select(Person.id).where(Person.code.startswith(f"{CITY_CODE}-")).limit(1))
    if found is not None:
        raise ValueError(
            f"a demo city ({CITY_CODE}) exists already in this database; generate into a database without one"
        )


def _split(total: int, parts: int) -> list[int]:
    """`total` in `parts` near-equal whole shares, larger ones first."""
    return [total // parts + (i < total % parts) for i in range(parts)]


def _apportion(total: int, weights: list[float]) -> list[int]:
    """`total` in whole shares proportional to `weights` (largest remainders)."""
    scale = total / sum(weights) if weights else 0.0
    raw = [w * scale for w in weights]
    shares = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - shares[i], reverse=True)
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


# counties → towns → communities, each community as (grid workers, supervisors)
_Shape = list[list[list[tuple[int, int]]]]


def _shape(persons: int, workers: int | None, supervisors: int | None) -> _Shape:
    """How many of each area and worker: ~220 persons per community, ten per level above."""
    communities = max(1, round(persons / PERSONS_PER_COMMUNITY))
    towns = math.ceil(communities / COMMUNITIES_PER_TOWN)
    counties = math.ceil(towns / TOWNS_PER_COUNTY)
    upper_supervisors = 1 + counties + towns
    local_supervisors = communities if supervisors is None else max(0, supervisors - upper_supervisors)
    # per community a cadre and a police officer, plus the supervisors and one admin
    fixed = 2 * communities + upper_supervisors + local_supervisors + 1
    staff = workers if workers is not None else max(1, round(persons / PERSONS_PER_WORKER))
    grid_workers = max(communities, staff - fixed)
    per_community = iter(
        zip(_split(grid_workers, communities), _split(local_supervisors, communities), strict=True)
    )
    town_sizes = iter(_split(communities, towns))
    return [
        [[next(per_community) for _ in range(next(town_sizes))] for _ in range(n_towns)]
        for n_towns in _split(towns, counties)
    ]


@dataclass
class _Staff:
    areas: list[Row] = field(default_factory=list)
    workers: list[Row] = field(default_factory=list)
    slots: list[GridSlot] = field(default_factory=list)


class _CityBuilder:
    """Lays out the area tree and its staff as rows, parents before children."""

    def __init__(self, rng: random.Random, ids: Ids) -> None:
        self.rng, self.ids, self.staff = rng, ids, _Staff()

    def build(self, shape: _Shape) -> _Staff:
        city = self._area(CITY_CODE, "演示市", AreaLevel.city, None)
        self._worker(Role.admin, city)
        self._worker(Role.supervisor, city)
        towns = communities = 0
        for c, county_shape in enumerate(shape, 1):
            name = f"演示{names.chinese_numeral(c)}区"
            county = self._area(f"{CITY_CODE}-C{c:02d}", name, AreaLevel.county, city)
            self._worker(Role.supervisor, county)
            for t, town_shape in enumerate(county_shape, 1):
                towns += 1
                name = f"演示街道{names.chinese_numeral(towns)}"
                town = self._area(f"{county['code']}-T{t:02d}", name, AreaLevel.town, county)
                self._worker(Role.supervisor, town)
                for s, (grid_workers, supervisors) in enumerate(town_shape, 1):
                    communities += 1
                    code = f"{town['code']}-S{s:02d}"
                    self._community(code, communities, town, grid_workers, supervisors)
        return self.staff

    def _community(self, code: str, n: int, town: Row, grid_workers: int, supervisors: int) -> None:
        name = f"演示社区{names.chinese_numeral(n)}"
        community = self._area(code, name, AreaLevel.community, town, address=f"演示路{n}号")
        cadre = self._worker(Role.cadre, community)
        police = self._worker(Role.police, community)
        for _ in range(supervisors):
            self._worker(Role.supervisor, community)
        grids = 0
        while grid_workers > 0:
            size = 2 if grid_workers >= 2 and self.rng.random() < 0.4 else 1
            grids += 1
            name = f"第{names.chinese_numeral(grids)}网格"
            grid = self._area(f"{code}-G{grids:02d}", name, AreaLevel.grid, community)
            for _ in range(size):
                worker = self._worker(Role.grid_worker, grid)
                self.staff.slots.append(GridSlot(grid["id"], worker, cadre, police))
            grid_workers -= size

    def _area(
        self, code: str, name: str, level: AreaLevel, parent: Row | None, address: str | None = None
    ) -> Row:
        row = {
            "id": self.ids.take(Area),
            "code": code,
            "name": name,
            "level": level,
            "parent_id": parent["id"] if parent else None,
            "path": child_path(parent["path"] if parent else None, code),
            "address": address,
        }
        self.staff.areas.append(row)
        return row

    def _worker(self, role: Role, area: Row) -> int:
        n = len(self.staff.workers) + 1
        worker_id = self.ids.take(Worker)
        self.staff.workers.append(
            {
                "id": worker_id,
                "code": f"{CITY_CODE}-W{n:06d}",
                "name": names.fake_name(self.rng),
                "role": role,
                "area_id": area["id"],
                "work_phone": names.work_phone(n),
                "office_hours": OFFICE_HOURS,
                "active": True,
            }
        )
        return worker_id
