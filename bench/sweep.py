"""Issue 9.2: the obligation sweep — every person's due/overdue state, and the morning reminders queued.

Measured on a demo city whose staff all have (fake) Telegram accounts, in a fresh process per
database so the peak resident memory is the sweep's own (`python -m bench.sweep URL` prints one
JSON line; `measure()` runs it as a child). In order:

- the whole sweep as `gridcare sweep` runs it (models.services.reminders.sending.sweep, one unit of work:
  every worker's morning list whatever their time, the overdue ladder, campaign days, programme
  endings; `--dry-run` computes the same and rolls back), once on the first day, committed; then
  once more the same day, which must queue nothing new;
- the scheduled `morning` job exactly as the scheduler runs it (bot.scheduler.Scheduler.run_job:
  its job_runs row, a JobCtx, the job, the commit) on the next `repeats` working days at 10:00,
  since a day's run happens once: median; then that day's job once more, which must queue nothing.
  The peak resident memory of these (the jobs work in batches: models.services.batches);
- last, `obligation_rows` over every person at once (the set-based computation behind cards,
  reminders, digests), median of `repeats` runs, and the peak memory with it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import func, select

from bench.common import (
    BENCH_KEYS,
    NOW,
    LogTally,
    analyze,
    child_json,
    link_staff,
    median,
    peak_rss_mb,
    reset_peak,
    rss_mb,
    run_scheduled,
)
from bot.db import Database
from bot.jobs import JOBS, Job, every
from handlers.context import JobCtx
from handlers.reminders import jobs as jobs_reminders
from handlers.render import Renderer
from models.crypto import KeyRing
from models.outbox import OutboxMessage
from models.people import Person
from models.policy import Policy
from models.services.obligations.due import obligation_rows

TARGET_CITY_SQLITE_S = 1.0  # issue 9.2: a city (10,000 persons) on SQLite
TARGET_COUNTRY_POSTGRES_S = 30.0  # issue 9.2: the country (1,000,000 persons) on PostgreSQL
TARGET_PEAK_MB = 300.0  # issue 9.5: memory during a country-size sweep
PER = 10_000  # time is also given per this many persons, so linear growth shows across sizes

Progress = Callable[[str], None]


@dataclass
class SweepResult:
    """One database's figures (seconds are medians; counts are of the last run unless said)."""

    backend: str
    persons: int
    staff_linked: int
    rows: int  # obligation rows of every person
    rows_s: float
    sweep_s: float  # the whole sweep (`gridcare sweep`), one run, committed
    sweep_morning: int  # what it queued: morning lists …
    sweep_overdue: int
    sweep_campaigns: int
    sweep_case_endings: int
    morning_s: float  # the scheduled morning job, committed
    morning_queued: list[int]  # per day run
    morning_again: int  # the same day's morning job once more: should be 0
    sweep_again_s: float  # the whole sweep again the same day
    sweep_again: int  # what that queued: should be 0
    rss_before_mb: float
    rows_peak_mb: float  # the most resident memory while `obligation_rows` held every person's rows
    peak_mb: float  # the most resident memory during the sweeps and morning jobs (VmHWM reset before)
    peak_reset: bool
    build_s: float = 0.0  # every person's obligation state worked out after the demo (issue 15)
    night_s: float = 0.0  # the night's roll before each morning: the new day's periods applied, median

    def per_10k(self, seconds: float) -> float:
        return seconds / self.persons * PER if self.persons else float("nan")


def _policy() -> Policy:
    return Policy()


def _job(name: str) -> Job:
    """The scheduled job as bot/jobs.py registers it."""
    found = next((j for j in JOBS if j.name == name), None)
    if found is not None:
        return found
    if name == "morning":  # registered elsewhere in older trees; the same function and cadence
        return Job("morning", every(timedelta(minutes=10)), jobs_reminders.morning)
    raise LookupError(f"no scheduled job {name!r} in bot.jobs.JOBS")


def _ctx(session: Any, at: datetime, policy: Policy, renderer: Renderer, keys: KeyRing) -> JobCtx:
    return JobCtx(now=at, renderer=renderer, _session=session, policy=policy, keys=keys)


def _time_rows(db: Database, policy: Policy, at: datetime) -> tuple[float, int]:
    today = policy.local_date(at)
    with db.unit_of_work() as session:
        start = perf_counter()
        rows = obligation_rows(session, today=today, policy=policy)
        seconds = perf_counter() - start
        count = len(rows)
        del rows
    return seconds, count


def _sweep(
    db: Database, policy: Policy, renderer: Renderer, keys: KeyRing, at: datetime
) -> tuple[float, Any]:
    """`gridcare sweep`: the whole sweep in one unit of work, committed (the commit timed too)."""
    start = perf_counter()
    with db.unit_of_work() as session:
        ctx = _ctx(session, at, policy, renderer, keys)
        if hasattr(jobs_reminders, "sweep"):  # trees before the use cases moved into the services
            counts = jobs_reminders.sweep(ctx)
        else:
            from models.services.reminders import sending

            counts = ctx.call(sending.sweep, ctx, jobs_reminders.day_of(ctx))
    return perf_counter() - start, counts


def _queued(db: Database, purpose: str) -> int:
    """Outbox rows queued for this purpose so far."""
    with db.unit_of_work() as session:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.purpose == purpose)
        return session.scalar(query) or 0


def night_roll(db: Database, policy: Policy, at: datetime) -> float:
    """Every person's kept obligations worked out, batch by batch, as the night job does (issue 15;
    0 in trees before it, where nothing is kept)."""
    try:
        from models.services.obligations.state import prepare_roll, roll
    except ImportError:
        return 0.0
    today = policy.local_date(at)
    start = perf_counter()
    db.call(prepare_roll, today, policy)
    while db.call(roll, today, policy):
        pass
    return perf_counter() - start


def working_days(policy: Policy, start: datetime, n: int) -> list[datetime]:
    """The same local time on `n` working days from `start` (a day's scheduled run happens once)."""
    days, at = [], start
    while len(days) < n:
        if policy.calendar.is_working_day(policy.local_date(at)):
            days.append(at)
        at += timedelta(days=1)
    return days


async def run(url: str, *, repeats: int, backend: str = "", progress: Progress | None = None) -> SweepResult:
    """Every figure of the sweep on one database holding a demo city (staff get linked here)."""
    note = progress or (lambda _text: None)
    analyze(url)  # statistics as autovacuum would have them (PostgreSQL)
    db = Database(url)
    policy, keys = _policy(), KeyRing.parse(BENCH_KEYS)
    renderer = Renderer(policy.tz)
    try:
        with db.unit_of_work() as session:
            linked = link_staff(session)
            persons = session.scalar(select(func.count()).select_from(Person)) or 0
        gc.collect()
        before = rss_mb()
        reset = reset_peak()
        days = working_days(policy, NOW, repeats + 1)
        note("every person's obligation state, worked out")
        build_s = night_roll(db, policy, days[0])
        note("the whole sweep, and again")
        sweep_s, counts = _sweep(db, policy, renderer, keys, days[0])
        again_s, again_counts = _sweep(db, policy, renderer, keys, days[0])
        note(f"the scheduled morning job on {repeats} working days")
        job = _job("morning")
        mornings, nights = [], []
        for at in days[1:]:
            nights.append(night_roll(db, policy, at))
            before = _queued(db, "morning")
            seconds, _count = await run_scheduled(db, job, policy, renderer, keys, at)
            mornings.append((seconds, _queued(db, "morning") - before))  # the job counts workers
        with db.unit_of_work() as session:
            again = jobs_reminders.morning(_ctx(session, days[-1], policy, renderer, keys))
        peak = peak_rss_mb()  # the sweep's: it works in batches
        # Last, as its memory is not given back to the system: every person's rows at once (what
        # a digest of the whole area computes).
        note(f"obligation_rows over {persons:,} persons ×{repeats}")
        rows = [_time_rows(db, policy, NOW) for _ in range(repeats)]
        rows_peak = peak_rss_mb()
    finally:
        db.dispose()
    return SweepResult(
        backend=backend or ("sqlite" if db.is_sqlite else "postgresql"),
        persons=persons,
        staff_linked=linked,
        rows=rows[-1][1],
        rows_s=median([s for s, _ in rows]),
        sweep_s=sweep_s,
        sweep_morning=counts.morning,
        sweep_overdue=counts.overdue,
        sweep_campaigns=counts.campaigns,
        sweep_case_endings=counts.case_endings,
        morning_s=median([s for s, _ in mornings]),
        morning_queued=[n for _, n in mornings],
        morning_again=again,
        sweep_again_s=again_s,
        sweep_again=sum(asdict(again_counts).values()),
        rss_before_mb=before,
        rows_peak_mb=rows_peak,
        peak_mb=peak,
        peak_reset=reset,
        build_s=build_s,
        night_s=median(nights),
    )


def measure(url: str, *, repeats: int, backend: str, timeout: float = 7200) -> SweepResult:
    """`run` in a fresh process of its own: its peak memory is the sweep's, not the suite's."""
    found = child_json("bench.sweep", url, "--repeats", str(repeats), "--backend", backend, timeout=timeout)
    return SweepResult(**found)


HEADERS = (
    "database",
    "persons",
    "obligation rows",
    "rows s",
    "rows s /10k",
    "whole sweep s",
    "sweep s /10k",
    "it queued: morning/overdue/campaign/ending",
    "again s",
    "morning job s",
    "morning s /10k",
    "morning queued per day",
    "again: morning/sweep",
    "RSS before MB",
    "peak RSS MB: all rows at once",
    "peak RSS MB: sweep and mornings",
)


def as_row(r: SweepResult) -> list[Any]:
    return [
        r.backend,
        r.persons,
        r.rows,
        r.rows_s,
        r.per_10k(r.rows_s),
        r.sweep_s,
        r.per_10k(r.sweep_s),
        f"{r.sweep_morning:,}/{r.sweep_overdue:,}/{r.sweep_campaigns:,}/{r.sweep_case_endings:,}",
        r.sweep_again_s,
        r.morning_s,
        r.per_10k(r.morning_s),
        "/".join(f"{n:,}" for n in r.morning_queued),
        f"{r.morning_again}/{r.sweep_again}",
        r.rss_before_mb,
        r.rows_peak_mb,
        r.peak_mb,
    ]


def checks(r: SweepResult, size: str) -> list[str]:
    """The result against issue 9.2's and 9.5's targets, where this size answers one."""
    lines = []
    if size == "city" and r.backend == "sqlite":
        met = r.morning_s < TARGET_CITY_SQLITE_S
        what = f"sweep, city, SQLite ({r.morning_s:.2f} s)"
        lines.append(_verdict(what, met, f"< {TARGET_CITY_SQLITE_S:g} s"))
    if size == "country" and r.backend == "postgresql":
        met = r.morning_s < TARGET_COUNTRY_POSTGRES_S
        what = f"sweep, country, PostgreSQL ({r.morning_s:.1f} s)"
        lines.append(_verdict(what, met, f"< {TARGET_COUNTRY_POSTGRES_S:g} s"))
        what = f"sweep memory, country ({r.peak_mb:.0f} MB)"
        lines.append(_verdict(what, r.peak_mb < TARGET_PEAK_MB, f"< {TARGET_PEAK_MB:g} MB"))
    if r.morning_again or r.sweep_again:
        repeated = r.morning_again + r.sweep_again
        lines.append(f"sweep/{r.backend}: a repeated run queued {repeated} message(s): NOT idempotent")
    return lines


def _verdict(what: str, met: bool, target: str) -> str:
    return f"{what}: {'meets' if met else 'MISSES'} the target ({target})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__)
    parser.add_argument("url", help="a database holding a demo city (gridcare demo-data)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backend", default="")
    args = parser.parse_args(argv)
    LogTally().install()
    result = asyncio.run(run(args.url, repeats=args.repeats, backend=args.backend))
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
