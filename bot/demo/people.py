"""The demo city's persons, one at a time: colour history, care team, family and recent records.

Every draw takes the city's `random.Random` in a fixed order, so a seed decides every row.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from bot.demo import names
from bot.demo.bulk import BulkWriter, Ids, Row
from models.crypto import KeyRing, Slot
from models.people import (
    ACTIVE_STATUSES,
    CareAssignment,
    CaseRole,
    Colour,
    ColourChange,
    FamilyMember,
    Person,
    Status,
)
from models.records import TAKEN_RESULTS, Record, RecordKind, Sample, TestMethod, TestResult

RELATIONS = ("母亲", "父亲", "配偶", "子女")
WINDOW_DAYS = 56  # records cover the last eight weeks
FILED_AFTER = timedelta(minutes=30)
BATCH_PERSONS = 2_000


@dataclass(frozen=True)
class GridSlot:
    """One grid worker's place: their grid, and the community team that shares their cases."""

    grid_id: int
    worker_id: int
    cadre_id: int
    police_id: int


@dataclass
class Batch:
    """The rows of a few thousand persons, inserted together."""

    persons: list[Row] = field(default_factory=list)
    colour_changes: list[Row] = field(default_factory=list)
    care: list[Row] = field(default_factory=list)
    families: list[Row] = field(default_factory=list)
    records: list[Row] = field(default_factory=list)

    def write(self, writer: BulkWriter) -> None:
        writer.write(Person, self.persons)
        writer.write(ColourChange, self.colour_changes)
        writer.write(CareAssignment, self.care)
        writer.write(FamilyMember, self.families)
        writer.write(Record, self.records)


def person_batches(people: People, slots: list[GridSlot], loads: list[int]) -> Iterator[tuple[int, Batch]]:
    """(persons done so far, batch), grid worker by grid worker."""
    batch, done = Batch(), 0
    for slot, load in zip(slots, loads, strict=True):
        for _ in range(load):
            done += 1
            people.add(batch, done, slot)
        if len(batch.persons) >= BATCH_PERSONS:
            yield done, batch
            batch = Batch()
    if batch.persons:
        yield done, batch


class People:
    """Makes one person at a time, with colour history, care team, family and recent records."""

    def __init__(self, rng: random.Random, ids: Ids, keys: KeyRing, now: datetime) -> None:
        self.rng, self.ids, self.keys, self.now = rng, ids, keys, now
        self.today = now.date()

    def add(self, batch: Batch, n: int, slot: GridSlot) -> None:
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
                "code": f"{names.CITY_CODE}-P{n:07d}",
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

    def _colour_history(self, batch: Batch, person_id: int, colour: Colour, start: date, by: int) -> None:
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

    def _family(self, batch: Batch, person_id: int, surname: str) -> None:
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

    def _records(self, batch: Batch, person_id: int, colour: Colour, start: date, author: int) -> None:
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
        batch: Batch,
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
