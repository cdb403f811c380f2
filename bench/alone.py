"""Each step of a chat mix timed alone, one update at a time, with its SQL statements
(`python -m bench.tail URL --serial N`; figures in BENCHMARKS.md section 10)."""

from __future__ import annotations

import json
from time import perf_counter
from typing import Any

from sqlalchemy import event

from bench.chat import Lane
from bench.common import median


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
