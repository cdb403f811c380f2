"""Issue 15: one day's morning, its refresh pass or the overdue ladder, again and again on the same
data, to compare revisions.

`python -m bench.job_day URL --job morning|morning_refresh|escalate --day N [--roll] [--repeats 3]
[--first]`: on
a database holding a demo city (`python -m bench.memory generate`) with its kept obligations built,
the N-th working day after the bench's NOW (the morning at 10:00 local, the ladder at 09:05).
`--roll` runs the night's roll for that day first (once: a Monday's redoes nearly everyone). Each
run forgets what the job queued (the day's morning marks and every queued morning list; every
queued ladder message; the job's keys), then runs the job in this process as a running bot does
when it fires (its setup, then `Scheduler.drain` of its batches) and prints the seconds. The
ladder's rungs told before are kept, as on any day after the first (a steady day: every rung
already told, nothing new queued); `--first` forgets them too (the first day after installing:
every rung is new). `morning_refresh` (at 10:30) runs the day's morning once first, untimed, then
the refresh pass again and again: nothing was done since, so it compares every list and queues no
edit (what every pass of a quiet half hour costs). On PostgreSQL the tables a run emptied are
vacuumed and analyzed before it, and the workers too (the first run links every worker to a
Telegram account after the demo's statistics were taken: the planner would think none linked).

Run it from each revision's checkout in turn (`cd <tree> && PYTHONPATH=<tree> python -m bench.job_day
…`): every run starts from the same state, so the two can alternate on one database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date
from time import perf_counter

from sqlalchemy import delete, text

from bench.common import link_staff, load_average, median
from bench.shared_morning import _days, scheduler_for
from bench.sweep import night_roll
from bot.db import Database
from bot.jobs import JOBS
from models.outbox import JobRun, MorningMark, OutboxMessage
from models.policy import Policy
from models.reminders import OverdueNotice
from models.services.reminders.morning import MORNING
from models.services.reminders.overdue import OVERDUE

HOURS = {"morning": (10, 0), "morning_refresh": (10, 30), "escalate": (9, 5)}


def forget(db: Database, job: str, day: date, *, first: bool) -> None:
    """What the job queued that day undone (and, with `first`, every rung told), then statistics."""
    with db.unit_of_work() as session:
        link_staff(session)
        session.execute(delete(JobRun).where(JobRun.job.like(f"{job}%")))
        if job == "morning":
            session.execute(delete(MorningMark).where(MorningMark.day == day))
            session.execute(delete(OutboxMessage).where(OutboxMessage.purpose == MORNING))
        else:
            session.execute(delete(OutboxMessage).where(OutboxMessage.purpose == OVERDUE))
            if first:
                session.execute(delete(OverdueNotice))
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE outbox, job_runs, morning_marks, overdue_notices, workers"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.job_day", description=__doc__)
    parser.add_argument("url", help="a database holding a demo city with its kept obligations")
    parser.add_argument("--job", choices=list(HOURS), default="morning")
    parser.add_argument("--day", type=int, default=0, help="which working day after the bench's NOW")
    parser.add_argument("--roll", action="store_true", help="run that day's night roll first")
    parser.add_argument("--first", action="store_true", help="the ladder: forget every rung told")
    parser.add_argument("--repeats", type=int, default=1)
    options = parser.parse_args(argv)
    policy = Policy()
    hour, minute = HOURS[options.job]
    at = _days(policy, options.day + 1)[options.day].replace(hour=hour, minute=minute)
    db = Database(options.url)
    if options.roll:
        print(json.dumps({"night_s": round(night_roll(db, policy, at), 2)}), flush=True)
    job = next(j for j in JOBS if j.name == options.job)
    scheduler = scheduler_for(db, job, at, policy)
    if options.job == "morning_refresh":  # the lists it compares: the day's morning, sent once
        forget(db, "morning", at.date(), first=False)
        sending = next(j for j in JOBS if j.name == "morning")
        at_ten = at.replace(hour=HOURS["morning"][0], minute=HOURS["morning"][1])
        asyncio.run(scheduler_for(db, sending, at_ten, policy).run_job(sending))
    runs = []
    for _ in range(options.repeats):
        if options.job == "morning_refresh":  # only that it ran: it queued nothing
            with db.unit_of_work() as session:
                session.execute(delete(JobRun).where(JobRun.job == options.job))
        else:
            forget(db, options.job, at.date(), first=options.first)
        began = perf_counter()
        report = asyncio.run(scheduler.run_job(job))
        seconds = perf_counter() - began
        runs.append(seconds)
        line = {"job": options.job, "day": at.date().isoformat(), "count": report and report.count}
        print(json.dumps(line | {"seconds": round(seconds, 2), "load": load_average()}), flush=True)
    db.dispose()
    print(json.dumps({"median_s": round(median(runs), 2), "runs": [round(r, 2) for r in runs]}))


if __name__ == "__main__":
    main()
