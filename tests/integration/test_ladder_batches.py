"""The scheduled ladder is planned as batches of whole communities that any process claims: the
batches queue exactly what the ladder does in one go, a claimed batch is taken by nobody else until
its unit of work ends, and a batch whose unit of work rolled back (a crashed process) is claimed
again."""

from __future__ import annotations

from collections import Counter
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.db import Database
from bot.demo import generate_demo_city
from handlers.context import JobCtx
from handlers.reminders.jobs import escalate, ladder_batch, plan_ladder
from handlers.render import Renderer
from models.outbox import OutboxMessage
from models.people import Worker
from models.policy import Policy
from models.services import batches
from models.services.jobruns import claim_batch, plan_batches

DAY = date(2026, 3, 4)


class _RolledBack(Exception):
    pass


@pytest.fixture
def city(db: Database, keys, now) -> Database:
    """A demo city, every worker with a Telegram account."""
    with db.unit_of_work() as s:
        generate_demo_city(s, persons=450, seed=3, keys=keys, now=now)
        s.execute(update(Worker).values(telegram_user_id=7_000_000 + Worker.id))
    return db


def _queued(db: Database, now, keys, run) -> Counter:  # type: ignore[no-untyped-def]
    """What `run(jctx)` queues (chat, key, text), rolled back."""
    found: Counter = Counter()
    try:
        with db.unit_of_work() as s:
            jctx = JobCtx(
                now=now, renderer=Renderer(ZoneInfo("Asia/Shanghai")), _session=s, policy=Policy(), keys=keys
            )
            run(jctx)
            found = Counter(
                (m.chat_id, m.dedupe_key, m.payload["text"]) for m in s.scalars(select(OutboxMessage))
            )
            raise _RolledBack
    except _RolledBack:
        pass
    return found


def test_the_planned_batches_queue_what_the_ladder_queues_in_one_go(city, now, keys, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_PERSONS", 60)  # several batches of whole communities
    whole = _queued(city, now, keys, escalate)

    def planned(jctx: JobCtx) -> None:
        assert plan_ladder(jctx) > 1
        assert plan_ladder(jctx) == 0  # planned once a day
        dealt = [ladder_batch(jctx) for _ in range(50)]
        assert 0 in dealt and all(dealt[: dealt.index(0)])  # batches until none is left

    batched = _queued(city, now, keys, planned)
    assert whole and batched == whole
    assert sum(1 for _, key, _ in whole if key.startswith("overdue:worker:")) > 0


def test_a_claimed_batch_is_nobody_elses_and_a_rolled_back_one_is_claimed_again(db: Database, now) -> None:
    with db.unit_of_work() as s:
        assert plan_batches(s, "job", DAY, ["/A/", "/B/", "/C/"], now=now) == 3
    first = db.sessions()
    try:
        assert claim_batch(first, "job", DAY, now=now) == ("/A/", "/B/")
        if db.engine.dialect.name == "postgresql":  # another process at the same time skips it
            with db.unit_of_work() as other:
                assert claim_batch(other, "job", DAY, now=now) == ("/B/", "/C/")
    finally:
        first.rollback()  # the process died: its batch is free again
        first.close()
    with db.unit_of_work() as s:
        assert claim_batch(s, "job", DAY, now=now) == ("/A/", "/B/")
    with db.unit_of_work() as s:
        rest = [claim_batch(s, "job", DAY, now=now) for _ in range(3)]
    expected_rest = (
        [("/C/", None), None, None]
        if db.engine.dialect.name == "postgresql"
        else [("/B/", "/C/"), ("/C/", None), None]
    )
    assert rest == expected_rest
    with db.unit_of_work() as s:
        assert claim_batch(s, "job", date(2026, 3, 5), now=now) is None  # another day's: none planned
