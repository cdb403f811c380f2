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
SQL statements; `--freeze` runs `gc.freeze()` once the bot is built; `--one-trip` is an experiment
that skips the replies' outbox check (empty here). Figures: BENCHMARKS.md section 10.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import gc
import json
import math
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from time import perf_counter, thread_time
from typing import Any

from sqlalchemy import event

from bench.chat import Lane, open_lanes
from bench.common import median, percentile

_CURRENT: contextvars.ContextVar[Timing | None] = contextvars.ContextVar("tail_update", default=None)


@dataclass
class Trip:
    """One unit of work an update hands to the database pool."""

    name: str
    submitted: float
    started: float = 0.0  # began on a database thread
    unit_end: float = 0.0  # its function returned (the commit still to come)
    committed: float = 0.0  # the unit committed (the database thread is free for the next)
    cpu: float = 0.0  # the database thread's CPU time over the unit and its commit
    resumed: float = 0.0  # the event loop resumed the update after it


@dataclass
class Timing:
    """One update of the paced run, taken apart."""

    step: str
    start: float
    latency: float = 0.0
    trips: list[Trip] = field(default_factory=list)

    def _sum(self, part: Callable[[Trip], float], name: str | None = None) -> float:
        return sum(part(t) for t in self.trips if name is None or t.name == name)

    @property
    def queue(self) -> float:
        return self._sum(lambda t: t.started - t.submitted)

    @property
    def queue_core(self) -> float:
        return self._sum(lambda t: t.started - t.submitted, "_process")

    @property
    def queue_replies(self) -> float:
        return self._sum(lambda t: t.started - t.submitted, "replies_waiting")

    @property
    def unit(self) -> float:
        return self._sum(lambda t: t.unit_end - t.started)

    @property
    def back(self) -> float:
        return self._sum(lambda t: t.resumed - t.unit_end)

    @property
    def loop(self) -> float:
        return self.latency - self._sum(lambda t: t.resumed - t.submitted)


@dataclass
class Collector:
    """The collector's pauses: (start, end, generation) by `gc.callbacks`."""

    pauses: list[tuple[float, float, int]] = field(default_factory=list)
    _began: float = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = perf_counter()
        else:
            self.pauses.append((self._began, perf_counter(), int(info["generation"])))

    def within(self, start: float, end: float) -> list[tuple[float, float, int]]:
        return [p for p in self.pauses if p[1] > start and p[0] < end]


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


def report(timings: list[Timing], collector: Collector, seconds: float) -> str:
    """The slowest 1 % against the median update, part by part, and what overlapped them."""
    ms = 1000.0
    latencies = [t.latency for t in timings]
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    slow = [t for t in timings if t.latency >= p99]
    typical = [t for t in timings if t.latency <= p50]
    lines = [
        f"{len(timings)} updates in {seconds:.1f} s ({len(timings) / seconds:.0f}/s); "
        f"p50 {p50 * ms:.1f} ms, p90 {percentile(latencies, 90) * ms:.1f} ms, p99 {p99 * ms:.1f} ms, "
        f"max {max(latencies) * ms:.1f} ms",
        "",
        "| part (median ms) | all updates | the slowest 1 % |",
        "|---|---:|---:|",
    ]
    for name in ("latency", "queue", "queue_core", "queue_replies", "unit", "back", "loop"):
        lines.append(
            f"| {name} | {median([getattr(t, name) for t in timings]) * ms:.2f} "
            f"| {median([getattr(t, name) for t in slow]) * ms:.2f} |"
        )
    lines += [
        "",
        "steps of the slowest 1 %: "
        + ", ".join(f"{s} {n}" for s, n in Counter(t.step for t in slow).most_common()),
    ]
    unit_by_step: dict[str, list[float]] = {}
    for t in timings:
        unit_by_step.setdefault(t.step, []).append(t.unit)
    lines.append(
        "unit of work by step, median / p99 ms: "
        + ", ".join(
            f"{s} {median(v) * ms:.1f}/{percentile(v, 99) * ms:.1f}" for s, v in sorted(unit_by_step.items())
        )
    )
    trips = sorted((trip for t in timings for trip in t.trips), key=lambda trip: trip.started)
    commits = [trip.committed - trip.unit_end for trip in trips]
    # The database thread's gaps while work waited: from one unit's commit to the next unit's start,
    # when the next was already queued (a thread pool takes it at once unless the thread does not run).
    stalls = [b.started - a.committed for a, b in pairwise(trips) if b.submitted < a.committed]
    busy = sum(trip.committed - trip.started for trip in trips)
    lines.append(
        f"database thread: busy {busy:.1f} s of {seconds:.1f} s ({len(trips)} units); commit median "
        f"{median(commits) * ms:.2f} ms, max {max(commits) * ms:.1f} ms; gaps with work waiting: "
        f"median {median(stalls) * ms:.2f} ms, max {max(stalls, default=0) * ms:.1f} ms, "
        f"{sum(stalls):.2f} s in all"
    )
    cpu = sum(trip.cpu for trip in trips)
    lines.append(
        f"database thread's CPU time in those units: {cpu:.1f} s of {busy:.1f} s busy "
        "(the rest: waiting for a CPU, the GIL or the disk)"
    )
    longest = sorted(trips, key=lambda trip: trip.committed - trip.started)[-5:]
    lines.append(
        "longest units (name, in the unit / commit / CPU ms): "
        + ", ".join(
            f"{trip.name} {(trip.unit_end - trip.started) * ms:.0f}/"
            f"{(trip.committed - trip.unit_end) * ms:.0f}/{trip.cpu * ms:.0f}"
            for trip in reversed(longest)
        )
    )
    first = min(t.start for t in timings)
    bins: dict[int, list[float]] = {}
    for t in timings:
        bins.setdefault(int(t.start - first), []).append(t.latency)
    lines.append(
        "by second of the run, sent / p50 / max ms: "
        + ", ".join(f"{len(v)}/{median(v) * ms:.0f}/{max(v) * ms:.0f}" for _, v in sorted(bins.items()))
    )
    gens = Counter(p[2] for p in collector.pauses)
    total = {g: sum(p[1] - p[0] for p in collector.pauses if p[2] == g) for g in gens}
    longest = {g: max(p[1] - p[0] for p in collector.pauses if p[2] == g) for g in gens}
    lines.append(
        "collector during the run: "
        + ", ".join(
            f"gen {g}: {gens[g]} pauses, {total[g] * ms:.0f} ms in all, longest {longest[g] * ms:.1f} ms"
            for g in sorted(gens)
        )
    )
    hit = [t for t in slow if collector.within(t.start, t.start + t.latency)]
    hit2 = [t for t in slow if any(p[2] == 2 for p in collector.within(t.start, t.start + t.latency))]
    base = [t for t in typical if collector.within(t.start, t.start + t.latency)]
    lines.append(
        f"the slowest 1 % overlapping a collection: {len(hit)}/{len(slow)} (a full one: {len(hit2)}); "
        f"of the faster half: {len(base)}/{len(typical)}"
    )
    return "\n".join(lines)


async def serial(lane: Lane, rounds: int) -> str:
    """Each step's latency with nothing else in flight: every user's cycle, one update at a time."""
    times: dict[str, list[float]] = {}
    statements: dict[str, list[int]] = {}
    executed = [0]

    def count(*_args: Any) -> None:
        executed[0] += 1

    engine = lane.bot.runtime.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(rounds):
            for user in lane.users:
                for _ in user.cycle:
                    step, raw = user.next_update(lane.update_ids, lane.recorder)
                    executed[0], start = 0, perf_counter()
                    await lane.bot.transport.feed(json.loads(raw))
                    times.setdefault(step, []).append(perf_counter() - start)
                    statements.setdefault(step, []).append(executed[0])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    steps = lane.users[0].cycle
    mean = sum(median(times[s]) for s in steps) / len(steps)
    return (
        "one at a time, median ms (SQL statements): "
        + ", ".join(
            f"{s} {median(times[s]) * 1000:.2f} ({median(statements[s]):.0f})" for s in dict.fromkeys(steps)
        )
        + f"; the cycle's mean {mean * 1000:.2f} ms ({1 / mean:.0f} updates/s for one thread)"
    )


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
    parser.add_argument(
        "--one-trip",
        action="store_true",
        help="an experiment: skip the replies' outbox check (empty here), one database trip per update",
    )
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() once the bot is built")
    args = parser.parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    [lane] = await open_lanes(
        args.url,
        "sqlite" if args.url.startswith("sqlite") else "postgresql",
        args.users,
        (args.framework,),
        args.mix,
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
        if args.one_trip:

            async def nothing_waits(_actions: Any) -> bool:
                return False

            lane.bot.replies._waiting = nothing_waits  # type: ignore[method-assign]
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
