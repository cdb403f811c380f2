"""Issue 15: one day's morning, again and again on the same data, to compare two revisions.

`python -m bench.morning_day URL --day N [--roll] [--repeats 3]`: on a database holding a demo city
(`python -m bench.memory generate`) with its kept obligations built, the N-th working day after the
bench's NOW at 10:00 local. `--roll` runs the night's roll for that day first (once: a Monday's redoes
nearly everyone). Each run forgets that day's morning (its marks, its queued lists, the job's keys),
then drains the morning's batches in this process as a running bot does when the job fires
(`Scheduler.drain`) and prints the seconds. Run it from each revision's
checkout in turn (`cd <tree> && PYTHONPATH=<tree> python -m bench.morning_day …`): every run starts
from the same state, so the two can alternate on one database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from time import perf_counter

from sqlalchemy import delete, text

from bench.common import BENCH_KEYS, link_staff, load_average, median
from bench.shared_morning import _days
from bench.sweep import night_roll
from bot.db import Database
from bot.jobs import JOBS
from bot.scheduler import Scheduler
from handlers.render import Renderer
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.outbox import JobRun, MorningMark, OutboxMessage
from models.policy import Policy
from models.services.reminders.morning import MORNING


def forget(db: Database, day: object) -> None:
    """That day's morning undone: marks, queued lists and the job's keys (then fresh statistics)."""
    with db.unit_of_work() as session:
        link_staff(session)
        session.execute(delete(MorningMark).where(MorningMark.day == day))
        session.execute(delete(OutboxMessage).where(OutboxMessage.purpose == MORNING))
        session.execute(delete(JobRun).where(JobRun.job.like("morning%")))
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE outbox, morning_marks"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.morning_day", description=__doc__)
    parser.add_argument("url", help="a database holding a demo city with its kept obligations")
    parser.add_argument("--day", type=int, default=0, help="which working day after the bench's NOW")
    parser.add_argument("--roll", action="store_true", help="run that day's night roll first")
    parser.add_argument("--repeats", type=int, default=1)
    options = parser.parse_args(argv)
    policy = Policy()
    at = _days(policy, options.day + 1)[options.day]
    db = Database(options.url)
    if options.roll:
        print(json.dumps({"night_s": round(night_roll(db, policy, at), 2)}), flush=True)
    job = next(j for j in JOBS if j.name == "morning")
    scheduler = Scheduler(
        db,
        clock=FrozenClock(at),
        policy=policy,
        renderer=Renderer(policy.tz),
        keys=KeyRing.parse(BENCH_KEYS),
        jobs=[job],
    )
    runs = []
    for _ in range(options.repeats):
        forget(db, at.date())
        began = perf_counter()
        workers = asyncio.run(scheduler.drain(job))
        seconds = perf_counter() - began
        runs.append(seconds)
        line = {"day": at.date().isoformat(), "workers": workers, "morning_s": round(seconds, 2)}
        print(json.dumps(line | {"load": load_average()}), flush=True)
    db.dispose()
    print(json.dumps({"median_s": round(median(runs), 2), "runs": [round(r, 2) for r in runs]}))


if __name__ == "__main__":
    main()
