"""Issue 9.5: resident memory, each figure measured in a fresh process of its own.

`python -m bench.memory MODE ...` prints one JSON line; `measure()` runs it as a child process:
- `generate`: peak resident memory (VmHWM) and time of generate_demo_city at a size;
- `obligations`: peak while today's obligation_rows runs over the whole city (as the sweep and the
  digests call it; the set-based rewrite is in progress elsewhere, and this measures what is there);
- `idle`: the bot built as bot.app.build_bot does (runtime, core, one framework), then the same
  process after linked users sent it updates.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
from itertools import count
from time import perf_counter
from typing import Any


def measure(mode: str, *args: str, timeout: float = 7200) -> dict[str, Any]:
    """Run one measurement in a child process and return what it printed."""
    # Imported here, in the parent: the child that weighs the imports must load bench.common itself.
    from bench.common import child_json

    return child_json("bench.memory", mode, *args, timeout=timeout)


IMPORT_STEPS = (
    ("SQLAlchemy, structlog, the models", ("bench.common", "models.all", "bot.db")),
    ("pypinyin (models.services.directory.entries)", ("pypinyin", "models.services.directory.entries")),
    ("handlers (router, dialogs, jinja templates)", ("handlers.setup", "handlers.render")),
    ("bot.app, bot.config", ("bot.app",)),
    ("aiogram transport", ("bot.transports.aiogram",)),
    ("python-telegram-bot transport", ("bot.transports.ptb",)),
)


def imports() -> dict[str, Any]:
    """Resident memory added by each group of imports, in the order a bot process loads them."""
    import importlib

    def vmrss() -> float:
        with open("/proc/self/status", encoding="utf-8") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024

    steps = [("interpreter", vmrss())]
    for label, modules in IMPORT_STEPS:
        for module in modules:
            importlib.import_module(module)
        steps.append((label, vmrss()))
    return {"steps": steps}


def generate(url: str, persons: int, workers: int | None, supervisors: int | None) -> dict[str, Any]:
    from bench.common import BENCH_KEYS, NOW, peak_rss_mb, reset_peak, rss_mb
    from bot.db import Database
    from bot.demo import generate_demo_city
    from models.crypto import KeyRing

    db = Database(url)
    gc.collect()
    before = rss_mb()
    reset_peak()
    start = perf_counter()
    summary = db.call(
        generate_demo_city,
        persons=persons,
        workers=workers,
        supervisors=supervisors,
        seed=1,
        keys=KeyRing.parse(BENCH_KEYS),
        now=NOW,
    )
    seconds = perf_counter() - start
    db.dispose()
    return {
        "rss_before_mb": before,
        "peak_mb": peak_rss_mb(),
        "seconds": seconds,
        "persons": summary.persons,
        "workers": summary.workers,
        "records": summary.records,
        "areas": summary.areas,
    }


def obligations(url: str) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from bench.common import NOW, peak_rss_mb, reset_peak, rss_mb
    from bot.db import Database
    from models.policy import Policy
    from models.services.obligations.due import obligation_rows

    db = Database(url)
    policy = Policy(tz=ZoneInfo("Asia/Shanghai"))
    gc.collect()
    before = rss_mb()
    reset_peak()
    start = perf_counter()
    rows = db.call(obligation_rows, today=NOW.astimezone(policy.tz).date(), policy=policy)
    seconds = perf_counter() - start
    count = len(rows)
    del rows
    db.dispose()
    return {"rss_before_mb": before, "peak_mb": peak_rss_mb(), "seconds": seconds, "rows": count}


async def idle(url: str, framework: str, users: int, per_user: int) -> dict[str, Any]:
    from bench.chat import Lane, build_quiet_bot, quiet_transport
    from bench.common import peak_rss_mb, rss_mb
    from bench.recorder import Recorder
    from bench.script import BenchUser, first_free_update_id, link_workers

    recorder = Recorder()
    bot = build_quiet_bot(url, framework, recorder)
    await bot.transport.start()
    gc.collect()
    built = rss_mb()
    result: dict[str, Any] = {"built_mb": built}
    if users:
        user_ids = bot.runtime.db.call(link_workers, users)
        floor = quiet_transport(framework, Recorder())
        users_ = [BenchUser(user_id) for user_id in user_ids]
        lane = Lane(
            "memory",
            framework,
            bot,
            floor,
            users_,
            recorder,
            count(bot.runtime.db.call(first_free_update_id)),
        )
        await lane.saturated(1, only=1)
        run = await lane.saturated(per_user)
        gc.collect()
        result |= {"after_updates_mb": rss_mb(), "updates": run.updates + 1, "peak_mb": peak_rss_mb()}
        await lane.floor.close()
    await bot.close()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    sub = parser.add_subparsers(dest="mode", required=True)
    g = sub.add_parser("generate")
    g.add_argument("url")
    g.add_argument("--persons", type=int, required=True)
    g.add_argument("--workers", type=int)
    g.add_argument("--supervisors", type=int)
    o = sub.add_parser("obligations")
    o.add_argument("url")
    i = sub.add_parser("idle")
    i.add_argument("url")
    i.add_argument("--framework", choices=("aiogram", "ptb"), default="aiogram")
    i.add_argument("--users", type=int, default=0)
    i.add_argument("--per-user", type=int, default=8)
    sub.add_parser("imports")
    args = parser.parse_args(argv)
    if args.mode == "imports":
        print(json.dumps(imports()))
        return
    from bench.common import LogTally

    LogTally().install()
    if args.mode == "generate":
        result = generate(args.url, args.persons, args.workers, args.supervisors)
    elif args.mode == "obligations":
        result = obligations(args.url)
    else:
        result = asyncio.run(idle(args.url, args.framework, args.users, args.per_user))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
