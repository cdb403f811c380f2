"""The bot's neutral core, or its scheduled jobs, in a process of its own, to be killed with SIGKILL.

    python -m tests.support.core_process core DB_URL NOW_ISO
    python -m tests.support.core_process jobs DB_URL NOW_ISO [HANG_JOB]

`core` reads one update per line on stdin (JSON: `user`, `text` or `data`, optional `update_id`,
`message_id`, and `hang`) and answers one line per update on stdout (JSON: the texts and the
button data it would send). With `"hang": true` the update is processed in full, its writes
flushed into the still open transaction, and then the process says `{"hanging": true}` and stops
there, before the commit, waiting to be killed: the parent knows the exact moment, no sleep.

`jobs` runs one scheduler tick over the feature jobs (morning lists, the overdue ladder …) with a
frozen clock and says `{"done": [...]}`. With HANG_JOB it stops in that job right after it first
queued messages (flushed, not committed) and says `{"hanging": "<job>"}`.

Everything else the process prints (logs) goes to stderr; stdout carries only these lines.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.db import Database
from bot.jobs import FEATURES
from bot.scheduler import Scheduler
from handlers.core import Core
from handlers.events import Incoming, InKind
from handlers.reminders import views as reminder_views
from handlers.render import Renderer
from handlers.setup import build_router
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.policy import Policy
from tests.factories import TEST_KEYS

BOT_ID = 4242  # as tests.support.chat, so update ids mean the same in parent and child


def _protocol() -> Any:
    """A private copy of stdout for the protocol; fd 1 itself now goes to stderr (for any log)."""
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    return out


def _say(out: Any, message: dict[str, Any]) -> None:
    out.write(json.dumps(message, ensure_ascii=False) + "\n")
    out.flush()


def _hang(out: Any, what: Any) -> None:
    _say(out, {"hanging": what})
    threading.Event().wait()  # until SIGKILL


def _actions(actions: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": type(a).__name__,
            "text": getattr(a, "text", None),
            "buttons": [[b.data for b in row] for row in getattr(a, "buttons", ())],
        }
        for a in actions
    ]


async def run_core(db: Database, now: datetime, out: Any) -> None:
    hang = {"now": False}

    async def run_unit(fn: Any, *args: Any) -> Any:
        def then_maybe_hang(session: Any, *inner: Any) -> Any:
            result = fn(session, *inner)
            if hang["now"]:
                session.flush()
                _hang(out, True)
            return result

        return await db.run(then_maybe_hang, *args)

    core = Core(
        router=build_router(),
        renderer=Renderer(ZoneInfo("Asia/Shanghai")),
        clock=FrozenClock(now),
        run_unit=run_unit,
        keys=KeyRing.parse(TEST_KEYS),
    )
    _say(out, {"ready": True})
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        update = json.loads(line)
        hang["now"] = bool(update.get("hang"))
        user = update["user"]
        if "data" in update:
            kind, fields = InKind.callback, {"callback_id": "cb", "callback_data": update["data"]}
        else:
            kind, fields = InKind.message, {"text": update["text"]}
        incoming = Incoming(
            BOT_ID, update["update_id"], kind, user, user, message_id=update.get("message_id", 1), **fields
        )
        _say(out, {"actions": _actions(await core.handle(incoming))})


async def run_jobs(db: Database, now: datetime, hang_job: str | None, out: Any) -> None:
    if hang_job is not None:

        def then_hang(original: Any) -> Any:
            def queue_then_hang(work: Any, *args: Any, **kwargs: Any) -> Any:
                queued = original(work, *args, **kwargs)  # an id (queue) or a count (queue_all)
                if queued and current["job"] == hang_job:
                    work._session.flush()
                    _hang(out, hang_job)
                return queued

            return queue_then_hang

        # the reminders' pages look them up in their module at each call
        reminder_views.queue = then_hang(reminder_views.queue)
        reminder_views.queue_all = then_hang(reminder_views.queue_all)
    current = {"job": ""}
    policy = Policy(tz=ZoneInfo("Asia/Shanghai"))
    scheduler = Scheduler(
        db,
        clock=FrozenClock(now),
        policy=policy,
        renderer=Renderer(policy.tz),
        keys=KeyRing.parse(TEST_KEYS),
        jobs=FEATURES,
    )
    done = []
    for job in scheduler.jobs:
        current["job"] = job.name
        report = await scheduler.run_job(job)
        if report is not None:
            done.append([report.job, report.count])
    _say(out, {"done": done})


def main() -> None:
    mode, url, now_iso, *rest = sys.argv[1:]
    out = _protocol()
    db = Database(url)
    now = datetime.fromisoformat(now_iso)
    if mode == "core":
        asyncio.run(run_core(db, now, out))
    else:
        asyncio.run(run_jobs(db, now, rest[0] if rest else None, out))
    db.dispose()


if __name__ == "__main__":
    main()
