"""The whole bot, long-polling a local Bot API server, in a process of its own, to be killed with SIGKILL.

    python -m tests.support.polling_process DB_URL API_URL TRANSPORT NOW_ISO [HANG_SUFFIX]

The bot is built as `gridcare run` builds it (bot.app.build_bot, the real aiogram or PTB transport,
its polling) on a clock frozen at NOW_ISO. It says `{"ready": true}` before it polls and
`{"handled": <update id>}` each time an update's handling has ended (committed and answered).
With HANG_SUFFIX, an update whose button data ends with it is processed in full, its writes
flushed into the still open transaction, and then the process says `{"hanging": <update id>}`
and stops there, before the commit, waiting to be killed: the parent knows the exact moment.
Closing stdin stops the bot cleanly. stdout carries only these lines; logs go to stderr.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import Any

from bot.app import Runtime, build_bot, make_transport
from bot.config import Settings
from bot.db import Database
from handlers.events import Incoming
from models.clock import FrozenClock
from models.crypto import KeyRing
from tests.factories import TEST_KEYS
from tests.support.core_process import _hang, _protocol, _say

TOKEN = "123456:e2e-test-token"


async def run(db_url: str, api_url: str, transport: str, now: datetime, hang_suffix: str | None) -> None:
    out = _protocol()
    settings = Settings(
        database_url=db_url,
        bot_token=TOKEN,
        api_url=api_url,
        transport=transport,
        secret_key=TEST_KEYS,
        flood_per_minute=0,
    )
    db = Database(db_url)
    runtime = Runtime(settings=settings, db=db, keys=KeyRing.parse(TEST_KEYS), clock=FrozenClock(now))
    bot = build_bot(runtime, make_transport(settings, polling_timeout=1), jobs=())

    async def run_unit(fn: Any, *args: Any) -> Any:
        incoming = args[0] if args and isinstance(args[0], Incoming) else None
        data = incoming.callback_data if incoming is not None else None
        if hang_suffix is None or data is None or not data.endswith(hang_suffix):
            return await db.run(fn, *args)
        assert incoming is not None

        def then_hang(session: Any, *inner: Any) -> Any:
            fn(session, *inner)
            session.flush()
            _hang(out, incoming.update_id)

        return await db.run(then_hang, *args)

    async def on_incoming(incoming: Incoming) -> None:
        await bot.on_incoming(incoming)
        _say(out, {"handled": incoming.update_id})

    async def stop_at_end_of_input() -> None:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await bot.transport.stop_polling()

    bot.core.run_unit = run_unit
    bot.transport.on_incoming(on_incoming)
    watcher = asyncio.create_task(stop_at_end_of_input())
    _say(out, {"ready": True})
    try:
        await bot.run_polling()
    finally:
        watcher.cancel()
        await bot.close()


def main() -> None:
    db_url, api_url, transport, now_iso, *rest = sys.argv[1:]
    asyncio.run(run(db_url, api_url, transport, datetime.fromisoformat(now_iso), rest[0] if rest else None))


if __name__ == "__main__":
    main()
