"""Where an update's time goes: cProfile over one saturated chat run, in both threads that work on it.

The event-loop thread parses JSON and runs the framework's dispatcher; the database thread runs our
core's unit of work (handlers, services, SQLAlchemy). cProfile sees only the thread it is enabled
in, so the core's `run_unit` is wrapped to switch a second profiler on inside the database thread.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import event

from bench.chat import Lane, open_lanes
from bench.common import median, table
from bench.script import MIXES, BenchUser

OURS = ("/handlers/", "/models/", "/bot/")
ROOT = str(Path(__file__).resolve().parent.parent) + "/"


class ThreadProfiler:
    """One cProfile per thread that runs units of work, switched on inside that thread."""

    def __init__(self) -> None:
        self.profiles: dict[int, cProfile.Profile] = {}
        self._lock = threading.Lock()
        self.active = True

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def profiled(session: Any, *args: Any, **kwargs: Any) -> Any:
            ident = threading.get_ident()
            with self._lock:
                if self.active and ident not in self.profiles:
                    self.profiles[ident] = cProfile.Profile()
                    self.profiles[ident].enable()  # stays on in this thread until `stop`
                elif not self.active and ident in self.profiles:
                    self.profiles[ident].disable()
            return fn(session, *args, **kwargs)

        return profiled


async def profile_lane(lane: Lane, per_user: int) -> pstats.Stats:
    """Profile one saturated run of `lane` (already warm)."""
    threads = ThreadProfiler()
    core = lane.bot.core
    original = core.run_unit
    core.run_unit = lambda fn, *args, **kwargs: original(threads.wrap(fn), *args, **kwargs)
    loop_profile = cProfile.Profile()
    loop_profile.enable()
    try:
        await lane.saturated(per_user)
    finally:
        loop_profile.disable()
        threads.active = False
        for _ in range(len(threads.profiles) * 4):  # reach every database thread to switch it off
            await original(threads.wrap(lambda _session: None))
        core.run_unit = original
    stats = pstats.Stats(loop_profile)
    for profile in threads.profiles.values():
        stats.add(profile)
    return stats


def report(stats: pstats.Stats, top: int) -> str:
    """The costliest functions by own time, then our own functions by cumulative time."""
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    out.write("\n--- our code (handlers/, models/, bot/) by cumulative time ---\n\n")
    ours = [
        (cumulative, calls, own, f"{path.removeprefix(ROOT)}:{line}({name})")
        for (path, line, name), (_prim, calls, own, cumulative, _callers) in stats.stats.items()  # type: ignore[attr-defined]
        if any(part in path for part in OURS)
    ]
    for cumulative, calls, own, where in sorted(ours, reverse=True)[:top]:
        out.write(f"{calls:8d} calls {own:8.3f} s own {cumulative:8.3f} s cumulative  {where}\n")
    return out.getvalue()


async def step_costs(lane: Lane, users: list[BenchUser], rounds: int, cycle: tuple[str, ...]) -> str:
    """Each step of the cycle alone (one update at a time, no profiler): median latency, and how many
    SQL statements it ran and how long the database took over them, so Python's share shows."""
    engine = lane.bot.runtime.db.engine
    sql = {"n": 0, "seconds": 0.0}

    def before(conn: Any, *_args: Any) -> None:
        conn.info["bench_t"] = perf_counter()

    def after(conn: Any, *_args: Any) -> None:
        sql["n"] += 1
        sql["seconds"] += perf_counter() - conn.info.pop("bench_t", perf_counter())

    samples: dict[str, list[tuple[float, int, float]]] = defaultdict(list)
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for _ in range(rounds):
            for user in users:
                for _ in cycle:
                    sql["n"], sql["seconds"] = 0, 0.0
                    step, raw = user.next_update(lane.update_ids, lane.recorder)
                    start = perf_counter()
                    await lane.bot.transport.feed(json.loads(raw))
                    samples[step].append((perf_counter() - start, int(sql["n"]), sql["seconds"]))
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    rows = [
        [
            step,
            median([s[0] for s in samples[step]]) * 1000,
            median([s[1] for s in samples[step]]),
            median([s[2] for s in samples[step]]) * 1000,
        ]
        for step in dict.fromkeys(cycle)
    ]
    return table(["step", "latency ms (median)", "SQL statements", "SQL ms"], rows)


async def profile_chat(
    url: str, framework: str, *, users: int, per_user: int, top: int = 30, mix: str = "bench"
) -> str:
    """A profile of the chat benchmark for one framework on one database, users repeating `mix`."""
    cycle = MIXES[mix]
    lanes = await open_lanes(url, "profile", users, mix=mix)
    try:
        lane = next(lane for lane in lanes if lane.framework == framework)
        await lane.saturated(1, only=1)
        await lane.saturated(len(cycle))
        steps = await step_costs(lane, lane.users[:5], rounds=4, cycle=cycle)
        stats = await profile_lane(lane, per_user)
        return "Each step alone, one at a time:\n\n" + steps + "\n\n" + report(stats, top)
    finally:
        for lane in lanes:
            await lane.close()
