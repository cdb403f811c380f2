"""Issue 15: one morning shared by N processes, on a database that already holds a demo city.

`python -m bench.shared_morning URL --processes 1 2 --days 2` links the staff (fake Telegram
accounts), then for each working day after the bench's NOW, at 10:00 local: the night's roll of the
kept obligations (`roll_obligations`' batches, timed), then N fresh processes that each drain the
scheduled morning job's batches (`Scheduler.drain`, exactly what a running bot does when the job
fires), started together. Figures per run: the wall time from the first process's start to the last
one's end, each process's share of the workers, and the messages queued; every worker once, every
message once (the run checks both and says if not). One line of JSON per run, a table at the end.

Nothing is generated here (a country takes the better part of an hour):
`python -m bench.memory generate URL --persons 1000000` makes one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from time import time
from typing import Any

from sqlalchemy import func, select

from bench.common import BENCH_KEYS, NOW, analyze, link_staff, load_average, median, table
from bench.sweep import night_roll, working_days
from bot.db import Database
from bot.jobs import JOBS, Job
from bot.scheduler import Scheduler
from handlers.render import Renderer
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.outbox import JobRun, OutboxMessage
from models.policy import Policy


def _days(policy: Policy, n: int) -> list[datetime]:
    """10:00 local on the next `n` working days after the bench's NOW (a morning runs once a day)."""
    return working_days(policy, NOW.astimezone(policy.tz).replace(hour=10, minute=0) + timedelta(days=1), n)


def scheduler_for(db: Database, job: Job, at: datetime, policy: Policy) -> Scheduler:
    """A scheduler that runs `job` alone, its clock stopped at `at` (the bench's demo keys)."""
    return Scheduler(
        db,
        clock=FrozenClock(at),
        policy=policy,
        renderer=Renderer(policy.tz),
        keys=KeyRing.parse(BENCH_KEYS),
        jobs=[job],
    )


def child(url: str, at: str, start_at: float) -> dict[str, Any]:
    """One process's part of a morning: wait for the common start, drain the batches."""
    policy = Policy()
    db = Database(url)
    job = next(j for j in JOBS if j.name == "morning")
    scheduler = scheduler_for(db, job, datetime.fromisoformat(at), policy)
    while time() < start_at:
        pass
    began = time()
    workers = asyncio.run(scheduler.drain(job))
    ended = time()
    db.dispose()
    return {"began": began, "ended": ended, "workers": workers}


def _counts(db: Database, day: str) -> tuple[int, int, int]:
    """Morning messages queued that day, distinct keys among them, workers marked dealt with."""
    with db.unit_of_work() as session:
        like = OutboxMessage.dedupe_key.like(f"morning:%:{day}")
        messages = session.scalar(select(func.count()).where(like)) or 0
        keys = session.scalar(select(func.count(func.distinct(OutboxMessage.dedupe_key))).where(like)) or 0
        try:  # since issue 15, a table of their own; before it, job_runs rows
            from models.outbox import MorningMark

            marks = session.scalar(select(func.count()).where(MorningMark.day == date.fromisoformat(day)))
        except ImportError:
            marks = session.scalar(
                select(func.count()).where(JobRun.job == "morning_worker", JobRun.run_key.like(f"{day}:%"))
            )
    return messages, keys, marks or 0


def run(url: str, processes: int, at: datetime, policy: Policy) -> dict[str, Any]:
    db = Database(url)
    try:
        night_s = night_roll(db, policy, at)
        start_at = time() + 3.0  # every child imported and connected before the common start
        children = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.shared_morning", url, "--child", at.isoformat(), str(start_at)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        parts = []
        for proc in children:
            out, _ = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"a morning process failed ({proc.returncode})")
            parts.append(json.loads(out.strip().splitlines()[-1]))
        messages, keys, marks = _counts(db, at.date().isoformat())
    finally:
        db.dispose()
    workers = sum(p["workers"] for p in parts)
    return {
        "processes": processes,
        "day": at.date().isoformat(),
        "night_s": round(night_s, 2),
        "morning_s": round(max(p["ended"] for p in parts) - min(p["began"] for p in parts), 2),
        "workers": workers,
        "shares": [p["workers"] for p in parts],
        "messages": messages,
        "once": messages == keys and workers == marks,
        "load": load_average(),
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 4 and args[1] == "--child":
        print(json.dumps(child(args[0], args[2], float(args[3]))))
        return
    parser = argparse.ArgumentParser(prog="python -m bench.shared_morning", description=__doc__)
    parser.add_argument("url", help="a database holding a demo city (python -m bench.memory generate)")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--days", type=int, default=1, help="mornings per process count, each a new day")
    parser.add_argument("--skip", type=int, default=0, help="working days to pass over (run before)")
    options = parser.parse_args(args)
    policy = Policy()
    analyze(options.url)
    db = Database(options.url)
    with db.unit_of_work() as session:
        link_staff(session)
    db.dispose()
    days = iter(_days(policy, options.skip + len(options.processes) * options.days)[options.skip :])
    results = []
    for _ in range(options.days):  # the counts take turns, day after day
        for n in options.processes:
            result = run(options.url, n, next(days), policy)
            print(json.dumps(result), flush=True)
            results.append(result)
    rows = []
    for n in options.processes:
        mine = [r for r in results if r["processes"] == n]
        rows.append(
            [
                n,
                ", ".join(f"{r['morning_s']:.1f}" for r in mine),
                median([r["morning_s"] for r in mine]),
                ", ".join(f"{r['night_s']:.1f}" for r in mine),
                "/".join(f"{r['messages']:,}" for r in mine),
                all(r["once"] for r in mine),
            ]
        )
    print(table(["processes", "morning s (runs)", "median s", "night s", "messages", "each once"], rows))


if __name__ == "__main__":
    main()
