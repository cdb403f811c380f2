"""Scheduled jobs run once per run key: across ticks, restarts, failures and overlapping leaders;
APScheduler fires them at their slots on the bot's clock, whatever real time it is."""

from __future__ import annotations

import asyncio
import time as time_module
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.jobs import HOUSEKEEPING, Job, daily_at, every
from bot.scheduler import OnClock, Scheduler
from handlers.render import Renderer
from models.chat import ProcessedUpdate
from models.clock import FrozenClock, StartedClock
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


def flaky_once(calls: list[int]):
    """The morning stand-in, failing the first time only, after it queued its message."""

    def flaky(jctx) -> int:
        remind(jctx)
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database hiccuped")
        return 1

    return flaky


async def test_a_failing_job_leaves_nothing_behind_and_backs_off_before_it_runs_again(db, scheduler):
    calls: list[int] = []
    clock = FrozenClock(at(4, 9, 0))
    ticks = scheduler(db, clock, [Job("morning", MORNING, flaky_once(calls))])
    assert await ticks.tick() == []
    assert outbox_count(db) == 0 and db.call(recent_runs, "morning") == []
    clock.advance(timedelta(seconds=19))
    assert await ticks.tick() == [] and calls == [1]  # backing off: 20 s after the first failure
    clock.advance(timedelta(seconds=1))
    assert [r.run_key for r in await ticks.tick()] == ["2026-03-04"]
    assert outbox_count(db) == 1 and calls == [1, 1]


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
    every_5 = every(timedelta(minutes=5))
    policy = Policy()
    assert every_5.run_key(datetime(2026, 3, 4, 2, 4, 59, tzinfo=UTC), policy) == "2026-03-04T02:00:00"
    assert every_5.run_key(datetime(2026, 3, 4, 2, 5, 0, tzinfo=UTC), policy) == "2026-03-04T02:05:00"


def test_daily_at_keys_a_local_day_from_its_time_until_midnight():
    morning = daily_at(time(8, 30))
    policy = Policy()
    assert morning.run_key(at(4, 8, 29), policy) is None
    assert morning.run_key(at(4, 8, 30), policy) == "2026-03-04"
    assert morning.run_key(at(4, 23, 59), policy) == "2026-03-04"  # missed at 08:30: still today's
    assert morning.run_key(at(5, 0, 30), policy) is None  # 00:30 on the 5th: not yesterday's morning any more


def test_daily_at_keeps_local_time_across_daylight_saving():
    berlin = Policy(tz=ZoneInfo("Europe/Berlin"))  # clocks go forward on 29 March 2026, 02:00 -> 03:00
    morning = daily_at(time(8, 30))
    before = datetime(2026, 3, 29, 6, 29, tzinfo=UTC)  # 08:29 in Berlin, summer time
    assert morning.run_key(before, berlin) is None
    assert morning.run_key(before + timedelta(minutes=1), berlin) == "2026-03-29"


def test_a_trigger_on_a_clock_hours_off_fires_at_the_real_moment_its_slot_comes():
    real_now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)  # what APScheduler would pass: any moment
    clock = FrozenClock(at(4, 8, 29))  # the bot's clock: a minute before the morning
    trigger = OnClock(MORNING.trigger(Policy()), clock)
    assert trigger.get_next_fire_time(None, real_now) == real_now + timedelta(minutes=1)
    clock.set(at(4, 8, 30))  # the slot has come: the next one is tomorrow's
    assert trigger.get_next_fire_time(real_now, real_now) == real_now + timedelta(days=1)


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


async def test_a_started_scheduler_fires_a_job_at_its_slot_and_again_after_a_failure(db, scheduler):
    calls: list[int] = []
    clock = StartedClock(at(4, 8, 30) - timedelta(seconds=0.3))  # a rehearsal: hours off real time
    ticks = scheduler(db, clock, [Job("morning", MORNING, flaky_once(calls))])
    ticks.tick_seconds = 0.1  # the first retry, a tenth of a second after the failure
    await ticks.start()
    try:
        await until(lambda: outbox_count(db) == 1, what="the morning run, fired at 08:30 and retried")
    finally:
        await ticks.stop()
    assert calls == [1, 1] and [r.run_key for r in db.call(recent_runs, "morning")] == ["2026-03-04"]
