"""The scheduler: a periodic tick that runs the due jobs of bot/jobs.py, on one process at a time.

APScheduler 3.11 (`AsyncIOScheduler`, in-memory job store) only drives the tick; it keeps no state
of ours (its job stores must never be shared between processes). Everything that matters is in
the database:

* Leadership: on PostgreSQL the process that holds a session-level advisory lock, taken with
  `pg_try_advisory_lock` on a dedicated connection, runs the jobs; the others tick and do nothing.
  The lock goes with the connection, so when the leader dies another process takes over at its
  next tick. On SQLite (one process) the scheduler is always the leader.
* Idempotency: a job runs for a run key (see bot/jobs.py) only if `job_runs` has no row for it,
  inserted in the job's own unit of work. Even two leaders overlapping (a lost connection, a
  restart) run each key once, and a run missed while the bot was down happens once on start.

Tests call `tick()` directly with a FrozenClock instead of waiting for APScheduler.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

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


@dataclass(frozen=True)
class JobReport:
    """A job that ran in a tick: for which key, and the count it returned."""

    job: str
    run_key: str
    count: int


class Scheduler:
    """Runs due jobs on each tick, if this process is the leader."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        policy: Policy,
        renderer: Renderer,
        keys: KeyRing | None = None,
        jobs: Sequence[Job] = JOBS,
        tick_seconds: float = 20.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy
        self.renderer = renderer
        self.keys = keys
        self.job_context = JobContexts(renderer, policy, keys)  # the one factory, as the CLI's
        self.jobs = tuple(jobs)
        self.tick_seconds = tick_seconds
        self.leadership = Leadership(db, JOBS_LOCK, "scheduler")
        self._failures: dict[str, tuple[int, float]] = {}  # job -> (failures in a row, retry at)
        self._tick_lock = asyncio.Lock()
        self._aps: AsyncIOScheduler | None = None
        self._stopping = False

    async def tick(self) -> list[JobReport]:
        """Run every job that is due now and has not run for its key; what ran."""
        async with self._tick_lock:
            if not await asyncio.to_thread(self.leadership.check):
                return []
            reports = []
            for job in self.jobs:
                if self._paused(job):
                    continue
                report = await self.run_job(job)
                if report is not None:
                    reports.append(report)
            return reports

    async def run_job(self, job: Job) -> JobReport | None:
        """Run one job if it is due now and its key is free (whoever leads: the key decides)."""
        now = self.clock.now()
        key = job.when(now, self.policy)
        if key is None:
            return None
        started = time.perf_counter()
        try:
            count = await self.db.run(self._run_once, job, key, now)
        except Exception:
            count_job(job.name, "failed", time.perf_counter() - started)
            log.exception("job_failed", job=job.name, run_key=key)
            self._failed(job)
            return None
        self._failures.pop(job.name, None)
        if count is None:  # another tick or process had run this key
            return None
        count_job(job.name, "ok", time.perf_counter() - started)
        log.info("job_done", job=job.name, run_key=key, count=count)
        return JobReport(job.name, key, count)

    def _run_once(self, session: Any, job: Job, key: str, now: datetime) -> int | None:
        if not begin_run(session, job.name, key, now=now):
            return None
        ctx = self.job_context(session, now)
        count = int(job.fn(ctx) or 0)
        finish_run(session, job.name, key, now=self.clock.now(), detail=str(count))
        return count

    def _paused(self, job: Job) -> bool:
        failures = self._failures.get(job.name)
        return failures is not None and time.monotonic() < failures[1]

    def _failed(self, job: Job) -> None:
        """A failing job is retried at growing intervals, not every tick (its key stays free)."""
        count = self._failures.get(job.name, (0, 0.0))[0] + 1
        pause = min(self.tick_seconds * 2 ** (count - 1), FAILED_JOB_PAUSE_MAX)
        self._failures[job.name] = (count, time.monotonic() + pause)

    async def _tick_logged(self) -> None:
        if self._stopping:
            return
        try:
            await self.tick()
        except asyncio.CancelledError:
            if not self._stopping:  # APScheduler cancels a tick that waits for the lock at shutdown
                raise
        except Exception:
            log.exception("scheduler_tick_failed")

    async def start(self) -> None:
        """Tick now and every `tick_seconds` (APScheduler's own timer runs on real time)."""
        if self._aps is not None:
            return
        self._stopping = False
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.add_job(
            self._tick_logged,
            "interval",
            seconds=self.tick_seconds,
            id="gridcare-tick",
            next_run_time=datetime.now(UTC) + timedelta(milliseconds=10),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._aps.start()

    async def stop(self) -> None:
        """Let a running tick finish, stop ticking, give up leadership."""
        self._stopping = True
        async with self._tick_lock:
            if self._aps is not None:
                self._aps.shutdown(wait=False)
                self._aps = None
            await asyncio.to_thread(self.leadership.release)
