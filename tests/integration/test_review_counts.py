"""The digest's review figures, counted by joining each record's last review, equal the per-record
definitions (`awaiting_clause`, `errors_open_clause`) on random review histories: several reviews a
record, verdicts changed, reviews older than the record's last change, records outside the window."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.casework import Review, ReviewVerdict
from models.people import Person
from models.records import Record, RecordKind
from models.services.review.marking import (
    REVIEW_WINDOW,
    awaiting_clause,
    errors_open_clause,
    review_counts_by_area,
)
from tests.factories import make_person, make_record, make_tree, make_worker


def _by_definition(s, asof) -> dict[int, tuple[int, int]]:
    rows = s.execute(
        select(
            Person.area_id, func.count().filter(awaiting_clause()), func.count().filter(errors_open_clause())
        )
        .select_from(Record)
        .join(Person, Person.id == Record.person_id)
        .where(Record.voided.is_(False), Record.created_at >= asof - REVIEW_WINDOW, Record.created_at <= asof)
        .group_by(Person.area_id)
    )
    return {area: (int(a), int(e)) for area, a, e in rows}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_joined_counts_equal_the_per_record_definitions(db, keys, now, seed: int) -> None:
    rng = random.Random(seed)
    with db.unit_of_work() as s:
        tree, other = make_tree(s), make_tree(s, prefix="U")
        worker = make_worker(s, tree["G1"])
        areas = [tree["G1"], tree["COM"], other["G1"]]
        people = [make_person(s, rng.choice(areas), keys=keys, now=now) for _ in range(8)]
        for n in range(120):
            created = now - timedelta(days=rng.randint(0, 45), hours=rng.randint(0, 23))
            updated = created + timedelta(hours=rng.choice([0, 0, 5, 30]))
            record = make_record(
                s,
                rng.choice(people),
                worker,
                created,
                RecordKind.visit,
                updated_at=updated,
                voided=rng.random() < 0.1,
                details={"n": n},
            )
            for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
                s.add(
                    Review(
                        record_id=record.id,
                        reviewer_id=worker.id,
                        verdict=rng.choice(list(ReviewVerdict)),
                        created_at=created + timedelta(hours=rng.randint(-5, 60)),
                    )
                )
        s.flush()
        expected = _by_definition(s, now)
        assert sum(a for a, _ in expected.values()) and sum(e for _, e in expected.values())
        for root, inside in ((tree["CITY"], areas[:2]), (tree["G1"], areas[:1]), (other["CITY"], areas[2:])):
            ids = {a.id for a in inside}
            mine = {area: counts for area, counts in expected.items() if area in ids}
            assert review_counts_by_area(s, root.path, now) == mine
