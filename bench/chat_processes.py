"""Issue 15: the chat on PostgreSQL with N bot processes sharing one database.

`python -m bench.chat_processes URL --processes 1 2 --users 100 --per-user 21` on a database that
holds a demo city: the parent links the users (grid workers with a caseload, as `bench.chat` does)
and splits them between N fresh processes, each a whole bot (`bench.chat.build_quiet_bot`: the real
transport, core and unit of work, the network recorded); each warms up (one cycle per user, every
chat's first contact), waits for the common start, then every user sends `--per-user` updates of
the mix, each as soon as the previous one was answered (each process says when it is ready; the
parent then starts them all). Figures: updates/s of all processes together
(all updates over the first start to the last end), each process's own rate, p50 and p99 latency,
and the failures (answers that are the internal-error apology). One line of JSON per run.

Runs the children as a script (not `-m`), so that another revision's tree put first on PYTHONPATH
is what they measure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from itertools import count
from pathlib import Path
from time import perf_counter, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import bench
from bench.common import load_average, median, percentile
from bench.recorder import Recorder
from bench.script import MIXES, BenchUser, first_free_update_id, link_workers
from bot.db import Database
from models.people import CareAssignment, CaseRole, Role, Worker

IDS_PER_PROCESS = 10**8  # update ids: each process its own range


def accounts(session: Session, n: int) -> list[int]:
    """The Telegram ids of `n` grid workers with a caseload: those linked already (an earlier run,
    `bench.common.link_staff`), then newly linked ones (`bench.script.link_workers`)."""
    linked = list(
        session.scalars(
            select(Worker.telegram_user_id)
            .where(
                Worker.role == Role.grid_worker,
                Worker.active.is_(True),
                Worker.telegram_user_id.is_not(None),
                Worker.id.in_(
                    select(CareAssignment.worker_id).where(CareAssignment.case_role == CaseRole.responsible)
                ),
            )
            .order_by(Worker.id)
            .limit(n)
        )
    )
    return [*linked, *(link_workers(session, n - len(linked)) if len(linked) < n else [])]


async def child(
    url: str, framework: str, mix: str, user_ids: list[int], first_id: int, per_user: int
) -> dict[str, Any]:
    from bench.chat import build_quiet_bot

    recorder = Recorder()
    bot = build_quiet_bot(url, framework, recorder)
    await bot.transport.start()
    users = [BenchUser(user_id, MIXES[mix]) for user_id in user_ids]
    update_ids = count(first_id)
    latencies: list[float] = []

    async def drive(user: BenchUser, n: int, into: list[float]) -> None:
        for _ in range(n):
            _step, raw = user.next_update(update_ids, recorder)
            began = perf_counter()
            await bot.transport.feed(json.loads(raw))
            into.append(perf_counter() - began)

    try:
        await drive(users[0], 1, [])  # alone first: PTB starts its Application on the first feed
        await asyncio.gather(*(drive(u, len(MIXES[mix]), []) for u in users))  # warm-up
        failures_before = recorder.failures
        print("ready", flush=True)  # then wait for the parent's word: every process starts together
        await asyncio.to_thread(sys.stdin.readline)
        began = time()
        await asyncio.gather(*(drive(u, per_user, latencies) for u in users))
        ended = time()
    finally:
        await bot.close()
    return {
        "began": began,
        "ended": ended,
        "updates": len(latencies),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "failures": recorder.failures - failures_before,
    }


def _tree() -> str:
    """The tree whose `bench` this process imported (another revision's, when put on PYTHONPATH)."""
    return str(Path(bench.__file__).resolve().parent.parent)


def run(url: str, processes: int, users: int, per_user: int, framework: str, mix: str) -> dict[str, Any]:
    db = Database(url)
    try:
        user_ids = db.call(accounts, users)
        first = db.call(first_free_update_id)
    finally:
        db.dispose()
    path = os.pathsep.join(filter(None, [_tree(), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    children = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                url,
                "--child",
                json.dumps([framework, mix, user_ids[i::processes], first + i * IDS_PER_PROCESS, per_user]),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(processes)
    ]
    for proc in children:  # each imported, connected and warmed up
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("a chat process failed before the start")
    for proc in children:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    parts = []
    for proc in children:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"a chat process failed ({proc.returncode})")
        parts.append(json.loads(out.strip().splitlines()[-1]))
    updates = sum(p["updates"] for p in parts)
    seconds = max(p["ended"] for p in parts) - min(p["began"] for p in parts)
    return {
        "processes": processes,
        "framework": framework,
        "mix": mix,
        "users": users,
        "updates": updates,
        "rate": round(updates / seconds, 1),
        "each": [round(p["updates"] / (p["ended"] - p["began"]), 1) for p in parts],
        "p50_ms": round(median([p["p50_ms"] for p in parts]), 1),
        "p99_ms": round(max(p["p99_ms"] for p in parts), 1),
        "failures": sum(p["failures"] for p in parts),
        "load": load_average(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.chat_processes")
    parser.add_argument("url", help="a PostgreSQL database holding a demo city")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--users", type=int, default=100, help="in all, split between the processes")
    parser.add_argument(
        "--per-user", type=int, default=21, help="updates per user (whole cycles: 3 visit cycles)"
    )
    parser.add_argument("--framework", choices=("aiogram", "ptb"), default="aiogram")
    parser.add_argument("--mix", choices=list(MIXES), default="visit")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(child(args.url, *json.loads(args.child)))))
        return
    for n in args.processes:
        print(json.dumps(run(args.url, n, args.users, args.per_user, args.framework, args.mix)), flush=True)


if __name__ == "__main__":
    main()
