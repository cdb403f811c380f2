"""Python per step of the chat cycle: `python -m bench.steps [ROUNDS]`.

The chat benchmark's cycle (`/my`, `/note`, choose the person, type, save, `/whoami`, `/lang`)
driven through the neutral core on a scratch SQLite file (one worker, 12 persons), measuring the
CPU time of each update's unit of work in the database thread (`time.thread_time`, so a busy
machine disturbs it far less than wall time). Run it from two checkouts one after the other to
compare revisions side by side (BENCHMARKS.md, findings).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.db import Database
from bot.migrate import upgrade
from models.audit import Actor
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.services.directory.invites import invite_worker
from tests.factories import TEST_KEYS, make_person, make_tree, make_worker
from tests.support.chat import CoreChat, build_core

NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


async def step_costs(rounds: int = 60) -> dict[str, float]:
    """Median in-thread CPU ms per step over `rounds` cycles."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'steps.db'}"
        upgrade(url)
        db = Database(url)
        try:
            return await _measure(db, rounds)
        finally:
            db.dispose()


async def _measure(db: Database, rounds: int) -> dict[str, float]:
    keys = KeyRing.parse(TEST_KEYS)
    with db.unit_of_work() as s:
        tree = make_tree(s)
        worker = make_worker(s, tree["G1"], code="W-1")
        for n in range(12):
            make_person(s, tree["G1"], keys=keys, now=NOW, worker=worker, code=f"P-{n:02d}")
    core = build_core(db, FrozenClock(NOW))
    invite = db.call(invite_worker, "W-1", actor=Actor.cli(), now=NOW)
    chat = CoreChat(core, 777)
    await chat.say(f"/start {invite.code}")
    cpu: dict[str, list[float]] = defaultdict(list)
    current = [""]
    run_unit = core.run_unit

    def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Awaitable[Any]:
        def inner(session: Any, *a: Any, **k: Any) -> Any:
            started = time.thread_time()
            try:
                return fn(session, *a, **k)
            finally:
                cpu[current[0]].append(time.thread_time() - started)

        return run_unit(inner, *args, **kwargs)

    core.run_unit = timed
    steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("/my", lambda: chat.say("/my")),
        ("/note", lambda: chat.say("/note")),
        ("choose person", lambda: chat.press(chat.button("P-03"))),
        ("type the note", lambda: chat.say("走访正常")),
        ("save", lambda: chat.press(chat.button("确认"))),
        ("/whoami", lambda: chat.say("/whoami")),
        ("/lang", lambda: chat.say("/lang")),
    ]
    for _ in range(rounds):
        for name, step in steps:
            current[0] = name
            await step()
    return {name: statistics.median(cpu[name]) * 1000 for name, _ in steps}


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    costs = asyncio.run(step_costs(rounds))
    print("| step | CPU ms (median) |\n|---|---:|")
    for name, ms in costs.items():
        print(f"| {name} | {ms:.2f} |")


if __name__ == "__main__":
    main()
