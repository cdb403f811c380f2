"""The sweep's jobs work through a large area in batches (memory follows the batch): batches group
whole areas, and a sweep in many small batches queues exactly what one batch does."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.db import Database
from bot.demo import generate_demo_city
from handlers.context import JobCtx
from handlers.reminders.jobs import day_of
from handlers.render import Renderer
from models.areas import Area
from models.outbox import OutboxMessage
from models.people import ACTIVE_STATUSES, Person, Worker
from models.policy import Policy
from models.reminders import OverdueNotice
from models.services import batches
from models.services.batches import area_batches
from models.services.reminders import sending
from models.services.sql import chunks


class _RolledBack(Exception):
    pass


@pytest.fixture
def city(db: Database, keys, now) -> Database:
    """A demo city of two communities, every worker with a Telegram account."""
    with db.unit_of_work() as s:
        generate_demo_city(s, persons=450, seed=3, keys=keys, now=now)
        s.execute(update(Worker).values(telegram_user_id=7_000_000 + Worker.id))
    return db


def test_chunks_cover_the_items_in_order() -> None:
    assert [list(c) for c in chunks([1, 2, 3, 4, 5], 2)] == [[1, 2], [3, 4], [5]]
    assert list(chunks([], 3)) == []


def test_batches_hold_whole_areas_in_tree_order(city: Database) -> None:
    with city.unit_of_work() as s:
        counts = dict(
            s.execute(
                select(Person.area_id, func.count())
                .where(Person.status.in_(ACTIVE_STATUSES))
                .group_by(Person.area_id)
            ).all()
        )
        areas = {a.id: a for a in s.scalars(select(Area))}
        one = area_batches(s, None)
        each = area_batches(s, None, persons=1)
    assert one == [sorted(counts, key=lambda a: areas[a].path)]  # a small city: one batch
    community = {a: areas[areas[a].parent_id].path for a in counts}  # persons live in grids
    assert len(each) == len(set(community.values())) > 1  # one community per batch at most…
    for batch in each:
        assert len({community[a] for a in batch}) == 1  # …and never split
    assert [a for batch in each for a in batch] == one[0]  # in tree order, every area once


def _sweep(db: Database, now, keys) -> tuple[Counter, set]:
    """What one whole sweep queues (chat, purpose, text) and the ladder's notices; rolled back."""
    policy = Policy()
    found: tuple[Counter, set] = (Counter(), set())
    try:
        with db.unit_of_work() as s:
            jctx = JobCtx(
                now=now, renderer=Renderer(ZoneInfo("Asia/Shanghai")), _session=s, policy=policy, keys=keys
            )
            counts = jctx.call(sending.sweep, jctx, day_of(jctx))
            assert counts.morning > 0 and counts.overdue > 0
            messages = Counter(
                (m.chat_id, m.purpose, m.payload["text"]) for m in s.scalars(select(OutboxMessage))
            )
            notices = set(
                s.execute(
                    select(
                        OverdueNotice.person_id,
                        OverdueNotice.obligation,
                        OverdueNotice.step,
                        OverdueNotice.worker_id,
                    )
                ).all()
            )
            found = (messages, notices)
            raise _RolledBack
    except _RolledBack:
        pass
    return found


def test_a_sweep_in_small_batches_queues_what_one_batch_does(city: Database, now, keys, monkeypatch) -> None:
    whole = _sweep(city, now, keys)
    monkeypatch.setattr(sending, "BATCH_WORKERS", 3)
    monkeypatch.setattr(batches, "BATCH_PERSONS", 1)  # one area per batch
    batched = _sweep(city, now, keys)
    assert batched[1] == whole[1]  # every item reaches the same rungs
    assert batched[0] == whole[0]  # and each recipient gets the same messages
