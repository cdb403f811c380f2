"""The composition root starts the transport once, before anything sends through it, and closes it
at the end: no part of the bot starts it on a first call."""

from __future__ import annotations

from bot.app import Runtime, build_bot
from bot.config import Settings
from bot.db import Database
from handlers.events import Action, Sent
from models.clock import FrozenClock
from models.crypto import KeyRing
from tests.factories import TEST_KEYS
from tests.support.outbox import FAST, FakeTelegram, queue, rows, until


class Lifecycle(FakeTelegram):
    """A fake Telegram that records when it is started, called and closed."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    async def start(self) -> None:
        self.events.append("start")

    async def call(self, action: Action) -> Sent:
        self.events.append("call")
        return await super().call(action)

    async def close(self) -> None:
        self.events.append("close")


async def test_the_bot_starts_its_transport_once_before_the_sender_and_closes_it_at_the_end(db_url, now):
    telegram = Lifecycle()
    runtime = Runtime(
        settings=Settings(database_url=db_url, secret_key=TEST_KEYS),
        db=Database(db_url),
        keys=KeyRing.parse(TEST_KEYS),
        clock=FrozenClock(now),
    )
    queue(runtime.db, [31, 32], now=now, urgent=True)
    bot = build_bot(runtime, telegram, jobs=(), sender_settings=FAST)
    await bot.start()
    try:
        await until(lambda: {row.status for row in rows(runtime.db).values()} == {"sent"}, what="both sent")
    finally:
        await bot.close()
    assert telegram.events == ["start", "call", "call", "close"]
