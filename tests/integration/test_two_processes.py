"""Several bot processes on one PostgreSQL: they share the outbox without sending anything twice,
keep one pace together, and run the scheduled jobs on one of them at a time.

Each "process" here has its own Database (its own connection pool and threads), as a second
`gridcare run` would; SQLite serves one process, so these tests run on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import Runtime, build_bot
from bot.config import Settings
from bot.db import Database
from bot.jobs import Job, daily_at
from bot.outbox import Sender
from bot.scheduler import Scheduler
from bot.telegram_api import LocalBotApi
from handlers.render import Renderer
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.outbox import JobRun
from models.policy import Policy
from tests.e2e.harness import TOKEN
from tests.factories import TEST_KEYS
from tests.support.outbox import FAST, FakeTelegram, queue, rows, until

MORNING = daily_at(lambda policy: policy.morning_at)


@pytest.fixture
def processes(db_url):
    """Open `n` more databases on the test's PostgreSQL, as other processes would; closed after."""
    if db_url.startswith("sqlite"):
        pytest.skip("several processes share a PostgreSQL database; SQLite serves one")
    opened: list[Database] = []

    def open_(n: int) -> list[Database]:
        opened.extend(Database(db_url) for _ in range(n))
        return opened[-n:]

    yield open_
    for database in opened:
        database.dispose()


class TimedTelegram(FakeTelegram):
    """Also notes when each send started (wall clock) and which sender made it."""

    def __init__(self) -> None:
        super().__init__()
        self.started: list[tuple[float, int]] = []

    async def call(self, action):
        self.started.append((time.time(), action.chat_id))
        await asyncio.sleep(0.002)  # a little network time, so sends overlap
        return await super().call(action)


async def test_two_senders_draining_one_outbox_send_every_message_exactly_once(db, now, processes):
    keys = queue(db, range(1, 61), now=now, per_chat=5)
    one, two = processes(2)
    telegram = TimedTelegram()
    small_batches = replace(FAST, batch=10)
    senders = [
        Sender(p, telegram, clock=FrozenClock(now), policy=Policy(), settings=small_batches)
        for p in (one, two)
    ]
    await asyncio.gather(*(s.drain() for s in senders))
    assert Counter(a.text for a in telegram.delivered) == Counter(keys), "each exactly once"
    for chat in range(1, 61):
        assert telegram.texts(chat) == [f"m-{chat}-{n}" for n in range(5)], "in order per chat"
    final = rows(db).values()
    assert Counter(r.status for r in final) == {"sent": 300}
    assert {r.claimed_by for r in final} == {s.owner for s in senders}, "both did their share"


async def test_two_senders_keep_one_pace_together(db, now, processes):
    queue(db, range(1, 21), now=now, per_chat=3)  # 60 messages
    telegram = TimedTelegram()
    paced = replace(FAST, per_second=40, chat_interval=0.3)
    senders = [
        Sender(p, telegram, clock=FrozenClock(now), policy=Policy(), settings=paced) for p in processes(2)
    ]
    started = time.monotonic()
    await asyncio.gather(*(s.drain() for s in senders))
    elapsed = time.monotonic() - started
    assert len(telegram.delivered) == 60
    assert elapsed >= 59 / 40 * 0.9, "two senders share 40/s, not 40/s each"
    by_chat: dict[int, list[float]] = {}
    for at, chat in telegram.started:
        by_chat.setdefault(chat, []).append(at)
    gaps = [b - a for times in by_chat.values() for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.3, "one message per chat interval, whichever process sends"


async def test_one_of_two_schedulers_leads_and_the_other_takes_over_when_it_stops(now, processes):
    ran: list[str] = []

    def morning(jctx) -> int:
        ran.append(jctx.today.isoformat())
        return 1

    clock = FrozenClock(now)  # Wednesday 10:00 in Shanghai: the morning run is due
    job = Job("morning", MORNING, morning)
    first, second = (
        Scheduler(p, clock=clock, policy=Policy(), renderer=Renderer(ZoneInfo("Asia/Shanghai")), jobs=[job])
        for p in processes(2)
    )
    try:
        assert len(await first.tick()) == 1 and first.leadership.is_leader
        assert await second.tick() == [] and not second.leadership.is_leader
        await first.stop()
        assert await second.tick() == [] and second.leadership.is_leader  # leads; today's run is done
        clock.advance(timedelta(days=1))
        assert len(await second.tick()) == 1
        assert await first.tick() == [] and not first.leadership.is_leader
    finally:
        await first.stop()
        await second.stop()
    assert ran == ["2026-03-04", "2026-03-05"]


async def test_two_bots_share_the_outbox_and_run_the_morning_job_once(db, db_url, now, processes):
    def morning(jctx) -> int:
        for worker_chat in range(500, 520):
            jctx.notify(
                worker_chat, "lang/changed", purpose="reminder", dedupe_key=f"am:{worker_chat}:{jctx.today}"
            )
        return 20

    telegram = FakeTelegram()
    settings = Settings(database_url=db_url, secret_key=TEST_KEYS)
    clock = FrozenClock(now)
    bots = [
        build_bot(
            Runtime(settings=settings, db=database, keys=KeyRing.parse(TEST_KEYS), clock=clock),
            telegram,
            jobs=[Job("morning", MORNING, morning)],
            sender_settings=FAST,
            tick_seconds=0.05,
        )
        for database in processes(2)
    ]
    for bot in bots:
        await bot.start_background()
    try:
        await until(lambda: len(telegram.delivered) >= 20, what="the morning messages")
        await until(
            lambda: [b.scheduler.leadership.is_leader for b in bots].count(True) == 1, what="a leader"
        )
        assert [await bot.scheduler.tick() for bot in bots] == [[], []]  # and again: nothing more
    finally:
        for bot in bots:
            await bot.stop_background()
    assert sorted(a.chat_id for a in telegram.delivered) == list(range(500, 520))
    assert sum(bot.scheduler.leadership.is_leader for bot in bots) == 0  # both gave it up on stop
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == "morning")) == 1


async def test_of_two_sender_processes_one_sends_and_the_other_takes_over_after_a_sigkill(
    db, db_url, now, processes, record_property
):
    keys = queue(db, range(700, 750), now=now, per_chat=3)  # 150 messages
    api = LocalBotApi(tokens=[TOKEN])  # flood limits on
    await api.start()
    command = [sys.executable, "-m", "tests.support.sender_process", db_url, api.base_url, "aiogram", "3"]
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    root = Path(__file__).resolve().parents[2]
    children = [subprocess.Popen(command, cwd=root, env=env) for _ in range(2)]

    def senders() -> set[str]:
        return {r.claimed_by for r in rows(db).values() if r.claimed_by}

    try:
        await until(lambda: len(api.calls_to("sendMessage")) >= 40, timeout=60, what="a burst under way")
        assert len(senders()) == 1, "one process sends at a time"
        (leader,) = senders()
        victim = next(c for c in children if f"-{c.pid}-" in leader)
        victim.send_signal(signal.SIGKILL)  # mid-burst, without any warning
        victim.wait()
        in_flight = {
            r.dedupe_key for r in rows(db).values() if r.status == "sending" and r.claimed_by == leader
        }
        await until(lambda: all(r.status == "sent" for r in rows(db).values()), timeout=60, what="all sent")
        assert len(senders()) == 2, "the standby took over"
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
                child.wait(timeout=20)
        await api.stop()
    copies = Counter(m.text for chat in range(700, 750) for m in api.transcript(chat))
    record_property("flood_429", api.count_429)
    assert set(copies) == set(keys), "nothing is lost"
    assert {text for text, n in copies.items() if n > 1} <= in_flight, (
        "only what the killed one had in flight"
    )
    assert max(copies.values()) <= 2, "and that at most once more"
    # 429s are counted, not asserted: a descheduled event loop on a busy machine can let one
    # through; their rate is measured by `python -m bench --only outbox` (BENCHMARKS.md).
