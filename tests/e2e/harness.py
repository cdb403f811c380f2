"""End-to-end harness: the real aiogram / python-telegram-bot clients over HTTP against the
project's local Bot API server, with the whole bot built by the composition root."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.app import GridcareBot, Runtime, build_bot, make_transport
from bot.config import Settings
from bot.db import Database
from bot.jobs import Job
from bot.outbox import SenderSettings
from bot.replies import ReplySettings
from bot.telegram_api import ChatMessage, LocalBotApi
from handlers.events import Incoming
from models.clock import Clock
from models.crypto import KeyRing
from tests.factories import TEST_KEYS

TOKEN = "123456:e2e-test-token"
TRANSPORTS = ["aiogram", "ptb"]


@dataclass
class RunningBot:
    """A bot polling the local server; `handled` lets tests wait for an update without sleeping."""

    bot: GridcareBot
    task: asyncio.Task[None] | None = None
    handled: asyncio.Condition = field(default_factory=asyncio.Condition)
    done: set[int | str] = field(default_factory=set)

    async def wait_handled(self, key: int | str, timeout: float = 10) -> None:
        async with self.handled:
            await asyncio.wait_for(self.handled.wait_for(lambda: key in self.done), timeout)

    async def stop(self) -> None:
        await self.bot.transport.stop_polling()
        if self.task is not None:
            await asyncio.wait_for(self.task, timeout=10)
        await self.bot.transport.close()


def settings_for(db_url: str, api: LocalBotApi, transport: str) -> Settings:
    return Settings(
        database_url=db_url,
        bot_token=TOKEN,
        api_url=api.base_url,
        transport=transport,
        secret_key=TEST_KEYS,
        flood_per_minute=0,  # scripted users tap faster than people; flood: tests/integration/test_core.py
    )


async def start_bot(
    db_url: str,
    api: LocalBotApi,
    transport: str,
    clock: Clock,
    *,
    jobs: Sequence[Job] = (),
    sender_settings: SenderSettings | None = None,
    reply_settings: ReplySettings | None = None,
) -> RunningBot:
    """Build the bot exactly as `gridcare run` does, on the given database and clock, and poll.

    The sender runs (relays and alerts really arrive); scheduled jobs only when a test names them.
    """
    settings = settings_for(db_url, api, transport)
    runtime = Runtime(settings=settings, db=Database(db_url), keys=KeyRing.parse(TEST_KEYS), clock=clock)
    bot = build_bot(
        runtime,
        make_transport(settings, polling_timeout=1),
        jobs=jobs,
        sender_settings=sender_settings,
        reply_settings=reply_settings,
    )
    running = RunningBot(bot)

    async def on_incoming(incoming: Incoming) -> None:
        try:
            await bot.on_incoming(incoming)
        finally:
            async with running.handled:
                running.done.add(incoming.callback_id or incoming.update_id)
                running.handled.notify_all()

    bot.transport.on_incoming(on_incoming)
    running.task = asyncio.create_task(bot.run_polling())
    return running


@asynccontextmanager
async def local_api(*, flood: bool = False) -> AsyncIterator[LocalBotApi]:
    """The local Bot API server; flood control off unless a test is about it."""
    kwargs = {} if flood else {"flood_limits": None}
    api = LocalBotApi(tokens=[TOKEN], **kwargs)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@dataclass
class User:
    """A person at a Telegram client: types, presses buttons by label, reads the chat."""

    api: LocalBotApi
    running: RunningBot
    user_id: int

    async def say(self, text: str) -> list[ChatMessage]:
        update = self.api.user_sends(self.user_id, text)
        await self.running.wait_handled(update["update_id"])
        return self.api.transcript(self.user_id)

    async def press(self, label_part: str) -> str:
        """Press the newest button whose label contains `label_part`; returns the answer's toast."""
        for message in reversed(self.api.transcript(self.user_id)):
            for label, data in message.buttons:
                if label_part in label and data:
                    return await self.press_data(message.message_id, data)
        raise AssertionError(
            f"no button {label_part!r}: {[m.buttons for m in self.api.transcript(self.user_id)]}"
        )

    async def press_data(self, message_id: int, data: str) -> str:
        query = self.api.user_presses(self.user_id, message_id, data, strict=False)
        await self.running.wait_handled(query)
        answer = await self.api.wait_for_answer(query)
        return answer.text or ""

    def last_text(self) -> str:
        transcript = self.api.transcript(self.user_id)
        return transcript[-1].text or "" if transcript else ""

    def all_text(self) -> str:
        return "\n".join(m.text or m.caption or "" for m in self.api.transcript(self.user_id))
