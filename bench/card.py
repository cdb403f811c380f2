"""Python per person card: `python -m bench.card [--persons 2200] [--cards 300] [--postgres URL]`.

Builds a demo city in a scratch database (SQLite, and PostgreSQL with `--postgres`), links every
grid worker to a fake Telegram account, and opens each worker's persons' cards (`person_card`, as
the card button does: rights, the person, team, due list, last visit and test, recent records),
one unit of work per card. Prints the median CPU time of the database thread per card
(`time.thread_time`, so a busy machine disturbs it less than wall time) and the median wall time.
Run it from two checkouts one after the other to compare revisions side by side (BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bench.common import BENCH_KEYS, NOW, analyze, link_staff, scratch_postgres, scratch_sqlite
from bot.db import Database
from models.crypto import KeyRing
from models.people import CareAssignment, CaseRole, Worker
from models.policy import Policy
from models.services.cards import person_card
from models.services.identity import resolve

try:
    from bot.demo import generate_demo_city
except ImportError:  # a checkout from before the demo city left the services, run side by side
    generate_demo_city = import_module("models.services.demo").generate_demo_city


def measure(url: str, persons: int, cards: int) -> dict[str, Any]:
    """Median CPU and wall milliseconds per card over `cards` cards of one demo city."""
    db = Database(url)
    keys, policy = KeyRing.parse(BENCH_KEYS), Policy(tz=ZoneInfo("Asia/Shanghai"))
    try:
        db.call(generate_demo_city, persons=persons, seed=1, keys=keys, now=NOW)
        db.call(link_staff)
        analyze(url)  # an older checkout's demo city left none
        pairs = db.call(_caseloads, cards)
        today = NOW.astimezone(policy.tz).date()
        cpu, wall = [], []
        for user_id, person_id in pairs:
            started, started_cpu = time.perf_counter(), time.thread_time()
            with db.unit_of_work() as s:
                card = person_card(
                    s, resolve(s, user_id), person_id, now=NOW, today=today, policy=policy, keys=keys
                )
            cpu.append(time.thread_time() - started_cpu)
            wall.append(time.perf_counter() - started)
            assert card is not None, "a responsible worker may see their person's card"
    finally:
        db.dispose()
    return {
        "cards": len(pairs),
        "cpu_ms": statistics.median(cpu) * 1000,
        "wall_ms": statistics.median(wall) * 1000,
    }


def _caseloads(session: Any, cards: int) -> list[tuple[int, int]]:
    """(the responsible worker's Telegram id, person id) for the first `cards` persons."""
    rows = session.execute(
        select(Worker.telegram_user_id, CareAssignment.person_id)
        .join(CareAssignment, CareAssignment.worker_id == Worker.id)
        .where(CareAssignment.case_role == CaseRole.responsible)
        .order_by(CareAssignment.person_id)
        .limit(cards)
    )
    return [(int(user_id), int(person_id)) for user_id, person_id in rows]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.card")
    parser.add_argument("--persons", type=int, default=2_200)
    parser.add_argument("--cards", type=int, default=300)
    parser.add_argument("--postgres", help="also on a scratch database of this PostgreSQL server")
    options = parser.parse_args()
    results = {}
    with scratch_sqlite() as url:
        results["sqlite"] = measure(url, options.persons, options.cards)
    if options.postgres:
        with scratch_postgres(options.postgres) as url:
            results["postgresql"] = measure(url, options.persons, options.cards)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
