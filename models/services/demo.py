"""A synthetic, obviously fake city (演示市) for demos and benchmarks, written in bulk.

Codes start with DEMO, names and numbers come from `demo_names`, and the same seed gives the same
city. Rows go in with bulk Core inserts carrying ids assigned here (continuing after each table's
largest id), so run it on a quiet database: a concurrent writer could take the same ids.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from itertools import count
from typing import Any

from sqlalchemy import Table, false, func, insert, or_, select
from sqlalchemy.orm import Session

from models.areas import Area, AreaLevel, child_path
from models.audit import Actor, audit
from models.base import Base
from models.crypto import KeyRing, Slot
from models.people import (
    ACTIVE_STATUSES,
    CareAssignment,
    CaseRole,
    Colour,
    ColourChange,
    FamilyMember,
    Person,
    Role,
    Status,
    Worker,
)
from models.records import TAKEN_RESULTS, Record, RecordKind, Sample, TestMethod, TestResult
from models.sealing import check_ring
from models.services import demo_names as names

CITY_CODE = "DEMO"
PERSONS_PER_COMMUNITY = 220
COMMUNITIES_PER_TOWN = 10
TOWNS_PER_COUNTY = 10
PERSONS_PER_WORKER = 10  # all staff counted; grid workers alone carry ~12 each
BATCH_PERSONS = 2_000
WINDOW_DAYS = 56  # records cover the last eight weeks
RELATIONS = ("母亲", "父亲", "配偶", "子女")
OFFICE_HOURS = "周一至周五 9:00-17:00"
FILED_AFTER = timedelta(minutes=30)

Row = dict[str, Any]
_TABLES: tuple[type[Base], ...] = (Area, Worker, Person, ColourChange, CareAssignment, FamilyMember, Record)


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
) -> DemoSummary:
    """Write a fake city of `persons` people, their workers and eight weeks of records; audited once.

    `workers` is the whole staff (default one per 10 persons); `supervisors` the total number of
    supervisors (default one per community, town, county and the city), adjusted at community level.
    Raises ValueError if a demo city is already there.
    """
    if persons < 0:
        raise ValueError("persons must be zero or more")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    _refuse_existing(session)
    check_ring(session, keys)  # before any value is sealed: the ring is the one this database knows
    rng = random.Random(seed)
    ids = _Ids(session)
    staff = _CityBuilder(rng, ids).build(_shape(persons, workers, supervisors))
    _insert(session, Area, staff.areas)
    _insert(session, Worker, staff.workers)
    loads = _apportion(persons, [rng.uniform(0.7, 1.3) for _ in staff.slots])
    people = _People(rng, ids, keys, now)
    records = families = 0
    for done, batch in _person_batches(people, staff.slots, loads):
        batch.write(session)
        records, families = records + len(batch.records), families + len(batch.families)
        if progress is not None:
            progress(done)
    _advance_sequences(session)
    audit(session, Actor.cli(), "demo-data", "persons", None, at=now, detail=f"n={persons}")
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


def _table(model: type[Base]) -> Table:
    return model.__table__


class _Ids:
    """Explicit primary keys, continuing after each table's largest, so inserts need no RETURNING."""

    def __init__(self, session: Session) -> None:
        self._next = {
            model: count((session.scalar(select(func.max(_table(model).c.id))) or 0) + 1) for model in _TABLES
        }

    def take(self, model: type[Base]) -> int:
        return next(self._next[model])


def _insert(session: Session, model: type[Base], rows: list[Row], chunk: int = 5_000) -> None:
    for start in range(0, len(rows), chunk):
        session.execute(insert(_table(model)), rows[start : start + chunk])


def _advance_sequences(session: Session) -> None:
    """PostgreSQL's id sequences did not see the explicit ids: move them past the largest."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in _TABLES:
        table = _table(model)
        sequence = func.pg_get_serial_sequence(table.name, "id")
        session.execute(select(func.setval(sequence, func.coalesce(func.max(table.c.id), 0) + 1, false())))


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


@dataclass(frozen=True)
class _Slot:
    """One grid worker's place: their grid, and the community team that shares their cases."""

    grid_id: int
    worker_id: int
    cadre_id: int
    police_id: int


@dataclass
class _Staff:
    areas: list[Row] = field(default_factory=list)
    workers: list[Row] = field(default_factory=list)
    slots: list[_Slot] = field(default_factory=list)


class _CityBuilder:
    """Lays out the area tree and its staff as rows, parents before children."""

    def __init__(self, rng: random.Random, ids: _Ids) -> None:
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
                self.staff.slots.append(_Slot(grid["id"], worker, cadre, police))
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


@dataclass
class _Batch:
    """The rows of a few thousand persons, inserted together."""

    persons: list[Row] = field(default_factory=list)
    colour_changes: list[Row] = field(default_factory=list)
    care: list[Row] = field(default_factory=list)
    families: list[Row] = field(default_factory=list)
    records: list[Row] = field(default_factory=list)

    def write(self, session: Session) -> None:
        _insert(session, Person, self.persons)
        _insert(session, ColourChange, self.colour_changes)
        _insert(session, CareAssignment, self.care)
        _insert(session, FamilyMember, self.families)
        _insert(session, Record, self.records)


def _person_batches(people: _People, slots: list[_Slot], loads: list[int]) -> Iterator[tuple[int, _Batch]]:
    """(persons done so far, batch), grid worker by grid worker."""
    batch, done = _Batch(), 0
    for slot, load in zip(slots, loads, strict=True):
        for _ in range(load):
            done += 1
            people.add(batch, done, slot)
        if len(batch.persons) >= BATCH_PERSONS:
            yield done, batch
            batch = _Batch()
    if batch.persons:
        yield done, batch


class _People:
    """Makes one person at a time, with colour history, care team, family and recent records."""

    def __init__(self, rng: random.Random, ids: _Ids, keys: KeyRing, now: datetime) -> None:
        self.rng, self.ids, self.keys, self.now = rng, ids, keys, now
        self.today = now.date()

    def add(self, batch: _Batch, n: int, slot: _Slot) -> None:
        rng, seal = self.rng, self.keys.seal
        person_id = self.ids.take(Person)
        colour = names.pick_colour(rng)
        status = names.pick_status(rng, colour)
        start = self.today - timedelta(days=rng.randrange(names.PROGRAMME_YEARS * 365))
        name = names.fake_name(rng)
        isolated = status is Status.compulsory_isolation
        batch.persons.append(
            {
                "id": person_id,
                "code": f"{CITY_CODE}-P{n:07d}",
                "name": name,
                "initials": names.initials(name),
                "id_number_enc": seal(names.fake_id_number(rng), Slot("persons", "id_number", person_id)),
                "phone_enc": seal(names.fake_phone(rng), Slot("persons", "phone", person_id)),
                "address_enc": seal(names.fake_address(rng), Slot("persons", "address", person_id)),
                "area_id": slot.grid_id,
                "status": status,
                "colour": colour,
                "registered_on": start,
                "agreement_signed_on": min(start + timedelta(days=rng.randrange(6)), self.today),
                "programme_start": start,
                "programme_end": names.programme_end(start),
                "release_date": names.release_date(rng, self.today) if isolated else None,
                "created_at": self.now,
                "updated_at": self.now,
            }
        )
        self._colour_history(batch, person_id, colour, start, slot.worker_id)
        team = (
            (slot.worker_id, CaseRole.responsible),
            (slot.cadre_id, CaseRole.cadre),
            (slot.police_id, CaseRole.police),
        )
        for worker_id, role in team:
            row = {"person_id": person_id, "worker_id": worker_id, "case_role": role}
            batch.care.append({"id": self.ids.take(CareAssignment), **row})
        if rng.random() < 0.30:
            self._family(batch, person_id, name[0])
        if status in ACTIVE_STATUSES:
            self._records(batch, person_id, colour, start, slot.worker_id)

    def _colour_history(self, batch: _Batch, person_id: int, colour: Colour, start: date, by: int) -> None:
        """The colour given at the start; for one in five, a later reassessment to today's colour."""
        started = min(datetime.combine(start, time(1, tzinfo=UTC)), self.now)
        changes: list[tuple[datetime, Colour | None, Colour, str, int | None]] = []
        if self.rng.random() < 0.20:
            initial = names.neighbour_colour(self.rng, colour)
            changed_at = started + (self.now - started) * self.rng.random()
            changes += [
                (started, None, initial, "初始分类", None),
                (changed_at, initial, colour, "评估调整", by),
            ]
        else:
            changes.append((started, None, colour, "初始分类", None))
        for at, old, new, reason, who in changes:
            batch.colour_changes.append(
                {
                    "id": self.ids.take(ColourChange),
                    "person_id": person_id,
                    "changed_at": at,
                    "from_colour": old,
                    "to_colour": new,
                    "reason": reason,
                    "changed_by": who,
                }
            )

    def _family(self, batch: _Batch, person_id: int, surname: str) -> None:
        relation = self.rng.choice(RELATIONS)
        name = names.fake_name(self.rng, surname if relation in ("父亲", "子女") else None)
        member_id = self.ids.take(FamilyMember)
        batch.families.append(
            {
                "id": member_id,
                "person_id": person_id,
                "relation": relation,
                "name_enc": self.keys.seal(name, Slot("family_members", "name", member_id)),
                "verified": False,
                "active": True,
            }
        )

    def _records(self, batch: _Batch, person_id: int, colour: Colour, start: date, author: int) -> None:
        """Weekly visits (orange: twice a week), monthly tests, and education and reports for many."""
        rng = self.rng
        oldest = min(WINDOW_DAYS, (self.today - start).days)
        record = partial(self._record, batch, person_id, author)
        visit_every = rng.choice((3, 4)) if colour is Colour.orange else 7
        for ago in names.days_ago(rng, visit_every, oldest, late=0.15, skipped=0.05):
            record(RecordKind.visit, ago, names.visit_kind(rng))
        for ago in names.days_ago(rng, 30, oldest, late=0.10):
            result = names.drug_test_result(rng)
            details: dict[str, Any] = {}
            if result in TAKEN_RESULTS:
                details["method"] = TestMethod.rapid_kit.value
            if result is TestResult.positive:
                details["substances"] = ["methamphetamine"]
            record(RecordKind.drug_test, ago, Sample.urine, result, details)
        for kind, share in ((RecordKind.education, 0.80), (RecordKind.thought_report, 0.70)):
            if rng.random() < share:
                for ago in names.days_ago(rng, 30, oldest, late=0.10):
                    record(kind, ago)

    def _record(
        self,
        batch: _Batch,
        person_id: int,
        author: int,
        kind: RecordKind,
        ago: int,
        subkind: str | None = None,
        result: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        # office hours in Shanghai (01:00–09:00 UTC), never later than now
        at = datetime.combine(self.today - timedelta(days=ago), time(1, tzinfo=UTC))
        at += timedelta(minutes=self.rng.randrange(480))
        if at >= self.now:
            at = self.now - timedelta(minutes=1 + self.rng.randrange(60))
        filed = min(at + FILED_AFTER, self.now)
        batch.records.append(
            {
                "id": self.ids.take(Record),
                "person_id": person_id,
                "kind": kind,
                "subkind": subkind,
                "result": result,
                "occurred_at": at,
                "details": details or {},
                "author_id": author,
                "created_at": filed,
                "updated_at": filed,
                "late": False,
                "voided": False,
            }
        )
