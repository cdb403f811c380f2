"""A record keeps its latest review (time and verdict), and the digest's review figures read it: on
random review histories (several reviews a record, verdicts changed, reviews made before the
record's last change, out of time order, records voided or outside the window) the kept state is
the latest review's, and the counts per area equal the definitions worked out from `reviews`."""

from __future__ import annotations

import random
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text

from bot.db import Database
from models.casework import Review, ReviewVerdict
from models.people import Person
from models.records import Record, RecordKind
from models.services.review.marking import REVIEW_WINDOW, add_review, review_counts_by_area
from tests.factories import make_person, make_record, make_tree, make_worker


def _from_reviews(s, asof) -> dict[int, tuple[int, int]]:
    """The figures by definition: each record's latest review (by id) read from `reviews`."""
    latest: dict[int, Review] = {}
    for review in s.scalars(select(Review).order_by(Review.id)):
        latest[review.record_id] = review
    counts: dict[int, list[int]] = {}
    for record, area in s.execute(select(Record, Person.area_id).join(Person, Person.id == Record.person_id)):
        if record.voided or not asof - REVIEW_WINDOW <= record.created_at <= asof:
            continue
        review = latest.get(record.id)
        since_change = review is not None and review.created_at >= record.updated_at
        figures = counts.setdefault(area, [0, 0])
        figures[0] += not since_change
        figures[1] += since_change and review.verdict == ReviewVerdict.has_errors
    return {area: (a, e) for area, (a, e) in counts.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_latest_review_gives_the_counts_of_the_reviews(db, keys, now, seed: int) -> None:
    rng = random.Random(seed)
    with db.unit_of_work() as s:
        tree, other = make_tree(s), make_tree(s, prefix="U")
        worker = make_worker(s, tree["G1"])
        areas = [tree["G1"], tree["COM"], other["G1"]]
        people = [make_person(s, rng.choice(areas), keys=keys, now=now) for _ in range(8)]
        records = []
        for n in range(120):
            created = now - timedelta(days=rng.randint(0, 45), hours=rng.randint(0, 23))
            updated = created + timedelta(hours=rng.choice([0, 0, 5, 30]))
            records.append(
                make_record(
                    s,
                    rng.choice(people),
                    worker,
                    created,
                    RecordKind.visit,
                    updated_at=updated,
                    voided=rng.random() < 0.1,
                    details={"n": n},
                )
            )
        for _ in range(200):  # reviews in random order: a later one may be stamped earlier
            record = rng.choice(records)
            when = record.created_at + timedelta(hours=rng.randint(-5, 60))
            add_review(s, record.id, worker.id, rng.choice(list(ReviewVerdict)), None, at=when)
        s.expire_all()
        for record in records:
            latest = s.scalars(
                select(Review).where(Review.record_id == record.id).order_by(Review.id.desc()).limit(1)
            ).first()
            kept = (record.reviewed_at, record.review_verdict)
            assert kept == ((latest.created_at, latest.verdict) if latest else (None, None))
        expected = _from_reviews(s, now)
        assert sum(a for a, _ in expected.values()) and sum(e for _, e in expected.values())
        for root, inside in ((tree["CITY"], areas[:2]), (tree["G1"], areas[:1]), (other["CITY"], areas[2:])):
            ids = {a.id for a in inside}
            mine = {area: counts for area, counts in expected.items() if area in ids}
            assert review_counts_by_area(s, root.path, now) == mine


def _waiting_for_a_lock(db: Database) -> bool:
    """Whether a connection to this test database waits for a lock (a row another holds)."""
    waiting = "wait_event_type = 'Lock' AND datname = current_database()"
    with db.unit_of_work() as s:
        return bool(s.scalar(select(func.count()).select_from(text("pg_stat_activity")).where(text(waiting))))


@pytest.mark.postgres
def test_two_reviews_of_one_report_at_once_keep_the_latest_by_id(pg: Database, keys, now) -> None:
    """A supervisor's review is saved while another's of the same report is in flight (in between
    its two writes): whichever order they land in, the report keeps the review with the higher id."""
    with pg.unit_of_work() as s:
        tree = make_tree(s)
        worker = make_worker(s, tree["G1"])
        record_id = make_record(
            s, make_person(s, tree["G1"], keys=keys, now=now), worker, now, RecordKind.visit
        ).id
        worker_id = worker.id
    first, pool = pg.sessions(), ThreadPoolExecutor(1)
    second: list[Future] = []

    def meanwhile(session, context) -> None:  # in the first review's unit of work, once
        if second:
            return
        second.append(
            pool.submit(pg.call, add_review, record_id, worker_id, ReviewVerdict.has_errors, None, at=now)
        )
        deadline = time.monotonic() + 10
        while not second[0].done() and not _waiting_for_a_lock(pg) and time.monotonic() < deadline:
            time.sleep(0.02)

    event.listen(first, "after_flush", meanwhile)
    try:
        add_review(first, record_id, worker_id, ReviewVerdict.correct, None, at=now)
        first.commit()
        second[0].result(timeout=10)
    finally:
        first.close()
        pool.shutdown()
    with pg.unit_of_work() as s:
        latest = s.scalars(
            select(Review).where(Review.record_id == record_id).order_by(Review.id.desc())
        ).first()
        record = s.get(Record, record_id)
        assert s.scalar(select(func.count()).select_from(Review)) == 2
        assert (record.reviewed_at, record.review_verdict) == (latest.created_at, latest.verdict)
