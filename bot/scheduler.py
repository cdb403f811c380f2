"""The scheduler: APScheduler fires each job of bot/jobs.py at its trigger's slots, and the process
that leads runs it, once per slot.

Why APScheduler's triggers with our run keys and lead, not a plain asyncio loop (issue 16.6): the
loop would be as short, but the slots (a CronTrigger in the policy's time zone keeps 08:30 local
across daylight saving) would be our arithmetic again, and the stack names APScheduler. What
APScheduler 3 cannot do, we do:
* once across processes: its job stores must never be shared (its FAQ), so each process keeps
  its jobs in memory, and a slot runs only if its run key has no `job_runs` row;
* a run missed while down: in memory, what misfire_grace_time and coalesce act on is forgotten at
  restart, so `tick()` applies their rule to job_runs (`Schedule.run_key`) on start and on taking
  over the lead;
* which process: the holder of a PostgreSQL advisory lock (bot/leadership.py); the others check
  it every `tick_seconds`;
* our clock: APScheduler waits in real time, but time is passed in (a rehearsal's StartedClock is
  hours off, a test's FrozenClock stands still), so `OnClock` reads each trigger on ours;
* a failing job backs off: its key stays free, its next fire moves 20 s, 40 s … up to an hour on.
Tests call `tick()` and `run_job()` with a FrozenClock instead of waiting for APScheduler.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from bot.db import Database
from bot.jobs import JOBS, Job
from bot.leadership import Leadership, LockKey
from bot.metrics import count_job
from handlers.context import JobContexts
from handlers.render import Renderer
from models.clock import Clock
from models.crypto import KeyRing
from models.policy import Policy
from models.services.jobruns import begin_run, finish_run

log = structlog.get_logger("gridcare.scheduler")

JOBS_LOCK = LockKey(0x47524944, 0x4A4F4253)  # "GRID", "JOBS"
FAILED_JOB_PAUSE_MAX = 3600.0
MAX_BATCHES = 100_000  # a bound, not a limit: a country's night is a thousand batches


@dataclass(frozen=True)
class JobReport:
    """A job that ran: for which key, and the count it returned."""

    job: str
    run_key: str
    count: int


class OnClock(BaseTrigger):
    """A trigger read on our clock: its next slot after the clock's now, as the real moment for
    APScheduler to wait for. Fired a moment early, the job finds its slot not yet come, and the
    slot, still the next one, fires again at once."""

    def __init__(self, trigger: BaseTrigger, clock: Clock) -> None:
        self.trigger, self.clock = trigger, clock

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        ours = self.clock.now()
        slot = self.trigger.get_next_fire_time(None, ours + timedelta(microseconds=1))
        return None if slot is None else now + (slot - ours)

    def __str__(self) -> str:  # for APScheduler's log
        return f"{self.trigger} on the bot's clock"


@dataclass(eq=False)
class Scheduler:
    """Fires each job at its slots while this process leads; `tick()` runs what is due now."""

    db: Database
    _: KW_ONLY
    clock: Clock
    policy: Policy
    renderer: Renderer
    keys: KeyRing | None = None
    jobs: Sequence[Job] = JOBS
    tick_seconds: float = 20.0
    _failures: dict[str, tuple[int, datetime]] = field(init=False, default_factory=dict)  # in a row, retry at
    _one_at_a_time: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)  # a job, or a lead check
    _aps: AsyncIOScheduler | None = field(init=False, default=None)
    _leading: bool = field(init=False, default=False)  # and has run what was due when it took the lead
    _stopping: bool = field(init=False, default=False)  # stop() to start(): fires do nothing, not wait

    def __post_init__(self) -> None:
        self.leadership = Leadership(self.db, JOBS_LOCK, "scheduler")
        self.job_context = JobContexts(self.renderer, self.policy, self.keys)  # the one factory, as the CLI's

    async def start(self) -> None:
        """Fire each job at its trigger's slots, and check the lead now and every `tick_seconds`."""
        if self._aps is not None:
            return
        self._stopping = False
        aps = self._aps = AsyncIOScheduler(timezone=UTC, job_defaults={"misfire_grace_time": None})
        aps.add_job(self._fire, "interval", seconds=self.tick_seconds, next_run_time=datetime.now(UTC))
        for job in self.jobs:
            trigger = OnClock(job.when.trigger(self.policy), self.clock)
            aps.add_job(self._fire, trigger, [job], id=job.name, name=job.name)
        aps.start()

    async def stop(self) -> None:
        """Let a running job finish, stop firing, give up the lead."""
        self._stopping = True
        async with self._one_at_a_time:
            if self._aps is not None:
                self._aps.shutdown(wait=False)
                self._aps = None
            self._leading = False
            await asyncio.to_thread(self.leadership.release)

    async def tick(self) -> list[JobReport]:
        """If this process leads, run each job due now whose run key is free; what ran."""
        async with self._one_at_a_time:
            self._leading = not self._stopping and await asyncio.to_thread(self.leadership.check)
            if not self._leading:
                return []
            now, reports = self.clock.now(), []
            for job in self.jobs:
                backing_off = self._failures.get(job.name, (0, now))[1] > now
                if not backing_off and (report := await self.run_job(job)) is not None:
                    reports.append(report)
            return reports

    async def _fire(self, job: Job | None = None) -> None:
        """APScheduler's call, at a slot of `job` or every `tick_seconds`. The leader runs the job,
        or checks that it still leads; another process tries to take the lead, and on taking it
        runs what is due (a run missed meanwhile happens then, once)."""
        if self._stopping:
            return
        if not self._leading:
            if job is not None and job.batch is not None:
                await self.drain(job)  # a shared job's batches: every process takes part
            await self.tick()
            return
        async with self._one_at_a_time:
            if self._stopping:
                return
            if job is not None:
                await self.run_job(job)
            else:
                self._leading = await asyncio.to_thread(self.leadership.check)

    async def run_job(self, job: Job) -> JobReport | None:
        """Run one job if it is due now and its key is free (whoever leads: the key decides)."""
        now = self.clock.now()
        key = job.when.run_key(now, self.policy)
        if key is None:
            return None
        started = time.perf_counter()
        try:
            count = await self.db.run(self._run_once, job, key, now)
        except Exception:
            count_job(job.name, "failed", time.perf_counter() - started)
            log.exception("job_failed", job=job.name, run_key=key)
            self._back_off(job, now)
            return None
        self._failures.pop(job.name, None)
        if job.batch is not None:  # whoever ran the key, this process helps with the batches
            batches = await self.drain(job)
            count = None if count is None and not batches else (count or 0) + batches
        if count is None:  # another process (or an earlier fire) had run this key
            return None
        count_job(job.name, "ok", time.perf_counter() - started)
        log.info("job_done", job=job.name, run_key=key, count=count)
        return JobReport(job.name, key, count)

    async def drain(self, job: Job) -> int:
        """Run the job's batches, one claimed batch per unit of work, until none is left; the sum of
        their counts. Any process may run this at the same time: the claims keep the batches apart,
        and a batch whose process died is free again once its transaction is rolled back."""
        total = 0
        for _ in range(MAX_BATCHES):
            if self._stopping:
                break
            try:
                done = await self.db.run(self._run_batch, job, self.clock.now())
            except Exception:
                log.exception("job_batch_failed", job=job.name)
                break
            if not done:
                break
            total += done
        return total

    def _run_batch(self, session: Any, job: Job, now: datetime) -> int:
        assert job.batch is not None
        return int(job.batch(self.job_context(session, now)) or 0)

    def _run_once(self, session: Any, job: Job, key: str, now: datetime) -> int | None:
        if not begin_run(session, job.name, key, now=now):
            return None
        ctx = self.job_context(session, now)
        count = int(job.fn(ctx) or 0)
        finish_run(session, job.name, key, now=self.clock.now(), detail=str(count))
        return count

    def _back_off(self, job: Job, now: datetime) -> None:
        """Try a failing job again after tick_seconds, twice that, … up to an hour: not at each slot
        (its key stays free, so the retry runs the slot that failed if it is still the latest)."""
        failures = self._failures.get(job.name, (0, now))[0] + 1
        pause = timedelta(seconds=min(self.tick_seconds * 2 ** (failures - 1), FAILED_JOB_PAUSE_MAX))
        self._failures[job.name] = (failures, now + pause)
        if self._aps is not None:
            self._aps.modify_job(job.name, next_run_time=datetime.now(UTC) + pause)
