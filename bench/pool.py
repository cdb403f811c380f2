"""What a ping per checkout cost: `python -m bench.pool [--seconds 3] [--repeats 5] [--postgres URL]`.

On a scratch PostgreSQL database, the unit of work of `bench.uow` (claim an update, save a form,
audit: three statements and a commit) run back to back through `Database.call`, with this
revision's pool (recycled connections, a retry on a dropped one) and with the same pool pinging
each connection at checkout (`pool_pre_ping`, the previous revision). The two take turns within
each repeat; prints units of work per second (medians) and the ratio, as JSON.
"""

from __future__ import annotations

import argparse
import json
from time import perf_counter
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from bench import txn
from bench.common import DEFAULT_POSTGRES, median, scratch_postgres
from bot.db import Database


def _pinging(url: str) -> Database:
    """A Database whose pool pings at every checkout, as the previous revision's did."""
    db = Database(url)
    db.engine.dispose()
    db.engine = create_engine(db.engine.url, pool_size=4, max_overflow=4, pool_pre_ping=True)
    db.sessions = sessionmaker(db.engine, expire_on_commit=False)
    return db


def _rate(db: Database, unit: Any, seconds: float) -> float:
    done, start = 0, perf_counter()
    while perf_counter() - start < seconds:
        db.call(unit)
        done += 1
    return done / (perf_counter() - start)


def measure(url: str, seconds: float, repeats: int) -> dict[str, float]:
    ids = txn.UpdateIds()
    ways = {"recycle + retry (this revision)": Database(url), "pre-ping (previous)": _pinging(url)}
    units = {name: txn.sa_unit(db, ids) for name, db in ways.items()}
    rates: dict[str, list[float]] = {name: [] for name in ways}
    try:
        for name, db in ways.items():
            _rate(db, units[name], 0.3)  # warm: connections open, statements compiled
        for _ in range(repeats):
            for name, db in ways.items():
                rates[name].append(_rate(db, units[name], seconds))
    finally:
        for db in ways.values():
            db.dispose()
    result = {name: median(values) for name, values in rates.items()}
    first, second = rates.values()
    result["ratio"] = median([a / b for a, b in zip(first, second, strict=True)])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pool")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    options = parser.parse_args()
    with scratch_postgres(options.postgres) as url:
        print(json.dumps(measure(url, options.seconds, options.repeats)))


if __name__ == "__main__":
    main()
