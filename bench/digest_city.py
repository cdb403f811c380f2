"""Issue 15: the city-level digest (the root area's, every figure over every person) on a database
that already holds a demo city with its kept obligations built (python -m bench.shared_morning's
preparation, or `gridcare obligations rebuild`).

`python -m bench.digest_city URL --repeats 3 [--day N]` prints one line of JSON: the seconds of each
`build_digest` of the root area (each in a transaction rolled back), their median, the people
overdue it found, the peak resident memory and the load. Run it from each revision's checkout in
turn to measure both side by side on the same database.

`--day N` takes the digest of the N-th working day after NOW, as `bench.job_day` counts: after a
morning ran on that day, a digest of an earlier day would work the persons the morning brought
to that day out in memory, as for a past day's (BENCHMARKS.md section 20).
"""

from __future__ import annotations

import argparse
import json
from time import perf_counter

from bench.common import NOW, load_average, median, peak_rss_mb
from bench.digest import _root
from bench.shared_morning import _days
from bot.db import Database
from models.policy import Policy
from models.services.digest.summary import Period, PeriodKind, build_digest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.digest_city")
    parser.add_argument("url", help="a database holding a demo city with its kept obligations built")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--day",
        type=int,
        help="the digest at 10:00 of the N-th working day after NOW, as bench.job_day counts",
    )
    args = parser.parse_args(argv)
    db, policy = Database(args.url), Policy()
    now = NOW if args.day is None else _days(policy, args.day + 1)[args.day].replace(hour=10, minute=0)
    seconds, overdue = [], 0
    try:
        for _ in range(args.repeats):
            session = db.sessions()
            try:
                area = _root(session)
                start = perf_counter()
                digest = build_digest(
                    session, area, Period.of(PeriodKind.day, policy.local_date(now)), policy=policy, now=now
                )
                seconds.append(round(perf_counter() - start, 3))
                overdue = digest.people_overdue
            finally:
                session.rollback()
                session.close()
    finally:
        db.dispose()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "median_s": median(seconds),
                "people_overdue": overdue,
                "peak_mb": round(peak_rss_mb()),
                "load": load_average(),
            }
        )
    )


if __name__ == "__main__":
    main()
