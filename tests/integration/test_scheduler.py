"""Scheduled jobs run once per run key: across ticks, restarts, failures and overlapping leaders."""

from __future__ import annotations

import asyncio
import time as time_module
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.jobs import HOUSEKEEPING, Job, daily_at, every
from bot.scheduler import Scheduler
from handlers.render import Renderer
from models.chat import ProcessedUpdate
from models.clock import FrozenClock
from models.outbox import JobRun, OutboxMessage
from models.policy import Policy
from models.services.jobruns import recent_runs
from models.services.updates import begin_update
from tests.support.outbox import until

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = daily_at(lambda policy: policy.morning_at)  # 08:30 by default


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026, Shanghai time."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def remind(jctx) -> int:
    """A stand-in for the morning reminders: one message, keyed by the day."""
    jctx.notify(9, "lang/changed", purpose="reminder", dedupe_key=f"morning:{jctx.today}")
    return 1


@pytest.fixture
async def scheduler():
    """Builds schedulers, and stops them after the test (on PostgreSQL they hold the leader lock)."""
    built: list[Scheduler] = []

    def build(db, clock, jobs) -> Scheduler:
        built.append(Scheduler(db, clock=clock, policy=Policy(), renderer=Renderer(SHANGHAI), jobs=jobs))
        return built[-1]

    yield build
    for one in built:
        await one.stop()


def outbox_count(db) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage))


async def test_the_morning_job_runs_once_a_day_however_often_the_scheduler_ticks(db, scheduler):
    clock = FrozenClock(at(4, 8, 29))
    ticks = scheduler(db, clock, [Job("morning", MORNING, remind)])
    assert await ticks.tick() == []
    clock.set(at(4, 8, 30))
    first = await ticks.tick()
    clock.set(at(4, 17, 0))
    assert [(r.job, r.run_key) for r in first] == [("morning", "2026-03-04")]
    assert await ticks.tick() == []
    clock.set(at(5, 8, 31))
    assert [r.run_key for r in await ticks.tick()] == ["2026-03-05"]
    assert outbox_count(db) == 2


async def test_a_morning_run_missed_while_the_bot_was_down_happens_once_on_start(db, scheduler):
    clock = FrozenClock(at(4, 11, 0))  # the bot was down from last night until 11:00
    assert [r.run_key for r in await scheduler(db, clock, [Job("morning", MORNING, remind)]).tick()] == [
        "2026-03-04"
    ]
    restarted = scheduler(db, clock, [Job("morning", MORNING, remind)])
    assert await restarted.tick() == []
    assert outbox_count(db) == 1
    assert db.call(recent_runs, "morning")[0].detail == "1"


async def test_a_failing_job_leaves_nothing_behind_and_runs_again_later(db, scheduler):
    calls = []

    def flaky(jctx) -> int:
        remind(jctx)
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database hiccuped")
        return 1

    ticks = scheduler(db, FrozenClock(at(4, 9, 0)), [Job("morning", MORNING, flaky)])
    ticks.tick_seconds = 0.0  # retry on the very next tick
    assert await ticks.tick() == []
    assert outbox_count(db) == 0 and db.call(recent_runs, "morning") == []
    assert len(await ticks.tick()) == 1
    assert outbox_count(db) == 1


async def test_two_schedulers_running_the_same_key_at_once_run_it_once(db, db_url, scheduler):
    started = []

    def slow(jctx) -> int:
        started.append(1)
        remind(jctx)
        time_module.sleep(0.2)  # hold the run key's transaction open while the other one tries
        return 1

    other_process = Database(db_url)
    try:
        clock = FrozenClock(at(4, 9, 0))
        job = Job("morning", MORNING, slow)
        one, two = scheduler(db, clock, [job]), scheduler(other_process, clock, [job])
        reports = await asyncio.gather(one.run_job(job), two.run_job(job))
    finally:
        other_process.dispose()
    assert len([r for r in reports if r is not None]) == 1 and started == [1]
    assert outbox_count(db) == 1
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(JobRun)) == 1


def test_every_keys_a_job_by_its_period():
    key = every(timedelta(minutes=5))
    policy = Policy()
    assert key(datetime(2026, 3, 4, 2, 4, 59, tzinfo=UTC), policy) == "2026-03-04T02:00:00"
    assert key(datetime(2026, 3, 4, 2, 5, 0, tzinfo=UTC), policy) == "2026-03-04T02:05:00"


def test_daily_at_keys_a_local_day_within_its_window():
    key = daily_at(time(8, 30), until=time(21, 0))
    policy = Policy()
    assert key(at(4, 8, 29), policy) is None
    assert key(at(4, 8, 30), policy) == "2026-03-04"
    assert key(at(4, 21, 0), policy) is None
    assert key(at(5, 0, 30), policy) is None  # 00:30 on the 5th: not yesterday's morning any more


async def test_housekeeping_forgets_old_update_ids(db, now, scheduler):
    db.call(begin_update, 1, 100, 5, now=now - timedelta(days=4))
    db.call(begin_update, 1, 101, 5, now=now)
    await scheduler(db, FrozenClock(now), HOUSEKEEPING).tick()
    with db.unit_of_work() as s:
        assert s.scalars(select(ProcessedUpdate.update_id)).all() == [101]


async def test_a_started_scheduler_ticks_at_once_and_stops_cleanly(db, now, scheduler):
    ticks = scheduler(db, FrozenClock(at(4, 9, 0)), [Job("morning", MORNING, remind)])
    await ticks.start()
    try:
        await until(lambda: outbox_count(db) == 1, what="the first tick's run")
    finally:
        await ticks.stop()
    assert ticks.leadership.is_leader == db.is_sqlite
