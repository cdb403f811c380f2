"""Where the paced chat's p99 comes from: each update's latency taken apart (issue 15).

`python -m bench.tail URL [--mix visit] [--framework ptb] [--fraction 0.7] [--seconds 6]` on a
generated city (`python -m bench.memory generate URL --persons 10000`): one saturated run for the
rate, then a paced run at `fraction` of it with, per update, its step and:
- **queue**: from handing its unit of work to the database pool to the unit starting on a thread
  (time spent behind other units: SQLite has one database thread);
- **unit**: the unit of work itself on the thread (our core's reads, writes, rendering);
- **commit and back**: from the unit's function returning to the event loop resuming the update
  (the commit, and the loop getting round to it);
- **loop**: the rest (JSON parsing, the framework's dispatch, the reply recorded, and waiting for
  the event loop while other updates run on it);
and the collector's pauses (`gc.callbacks`) that overlap it, and the database thread's CPU time
against its wall time (`time.thread_time`: a unit stretched by waiting for a CPU shows here).
The scheduler is not running (as in bench/chat.py), so scheduled jobs are not part of these figures.

`--serial N` instead times each step alone (one update at a time, N cycles of every user) with its
SQL statements; `--freeze` runs `gc.freeze()` once the bot is built (as `gridcare run` does).
Figures: BENCHMARKS.md section 10.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import gc
import json
import math
import os
from collections.abc import Callable
from time import perf_counter, thread_time
from typing import Any

from bench.alone import serial
from bench.chat import Lane, open_lanes
from bench.latency import Collector, Timing, Trip, report

_CURRENT: contextvars.ContextVar[Timing | None] = contextvars.ContextVar("tail_update", default=None)


def instrument(lane: Lane) -> None:
    """Time each unit of work an update hands to the database: the core's, and the replies' check of
    the outbox (bot/replies.py)."""
    db = lane.bot.runtime.db
    plain = db.run

    async def run(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        timing = _CURRENT.get()
        if timing is None:
            return await plain(fn, *args, **kwargs)
        trip = Trip(getattr(fn, "__name__", "?"), perf_counter())
        timing.trips.append(trip)

        def timed(session: Any) -> Any:
            try:
                return fn(session, *args, **kwargs)
            finally:
                trip.unit_end = perf_counter()

        def work() -> Any:  # as Database.run does, with the times around the unit and its commit
            trip.started, cpu = perf_counter(), thread_time()
            try:
                return db.call(timed)
            finally:
                trip.committed, trip.cpu = perf_counter(), thread_time() - cpu

        try:
            return await asyncio.get_running_loop().run_in_executor(db._executor, work)
        finally:
            trip.resumed = perf_counter()

    db.run = run  # type: ignore[method-assign]  # the replies reach the database here
    lane.bot.core.run_unit = run  # the core was given the bound method at build time


async def paced(lane: Lane, rate: float, seconds: float) -> list[Timing]:
    """bench.chat.Lane.paced_run, each update timed apart."""
    cycle = len(lane.users[0].cycle)
    users = lane.users[: max(1, min(len(lane.users), round(rate * seconds / cycle)))]
    per_user = cycle * max(1, math.ceil(rate * seconds / (len(users) * cycle)))
    timings: list[Timing] = []
    interval = len(users) / rate
    start = perf_counter()

    async def drive(i: int, user: Any) -> None:
        due = start + i / rate
        for _ in range(per_user):
            delay = due - perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            step, raw = user.next_update(lane.update_ids, lane.recorder)
            timing = Timing(step, perf_counter())
            token = _CURRENT.set(timing)
            try:
                await lane.bot.transport.feed(json.loads(raw))
            finally:
                _CURRENT.reset(token)
            timing.latency = perf_counter() - timing.start
            timings.append(timing)
            due += interval

    await asyncio.gather(*(drive(i, user) for i, user in enumerate(users)))
    return timings


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tail", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--mix", default="visit")
    parser.add_argument("--framework", default="ptb")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--fraction", type=float, default=0.7)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rate", type=float, help="offer this rate instead of measuring the saturated one")
    parser.add_argument("--serial", type=int, help="only time each step alone, over this many rounds")
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() once the bot is built")
    parser.add_argument(
        "--no-checkpoints", action="store_true", help="SQLite: let the commits checkpoint the log"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    [lane] = await open_lanes(
        args.url,
        "sqlite" if args.url.startswith("sqlite") else "postgresql",
        args.users,
        (args.framework,),
        args.mix,
        checkpoints=not args.no_checkpoints,
    )
    if args.freeze:  # as `gridcare run` does once the bot is built
        gc.collect()
        gc.freeze()
    try:
        cycle = len(lane.users[0].cycle)
        await lane.saturated(1, only=1)
        await lane.saturated(cycle)  # warm-up: every user's first contact
        if args.serial:
            print(await serial(lane, args.serial))
            return
        rate = args.rate
        if rate is None:
            saturated = await lane.saturated(cycle)
            rate = args.fraction * saturated.rate
            print(f"saturated: {saturated.rate:.0f} updates/s; offering {rate:.0f}/s")
        instrument(lane)
        collector = Collector()
        gc.callbacks.append(collector)
        start = perf_counter()
        try:
            timings = await paced(lane, rate, args.seconds)
        finally:
            gc.callbacks.remove(collector)
        print(report(timings, collector, perf_counter() - start))
    finally:
        await lane.close()


if __name__ == "__main__":
    asyncio.run(main())
