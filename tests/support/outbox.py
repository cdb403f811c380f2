"""Helpers for the outbox and scheduler tests: a recording fake Telegram, a clock that runs, rows."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.outbox import SenderSettings
from bot.transports.base import Transport
from handlers.events import Action, Edit, Send, Sent
from models.outbox import OutboxMessage
from models.services.outbox.queue import enqueue

# No pacing, instant retries: for tests that are not about Telegram's limits.
FAST = SenderSettings(
    per_second=10_000, chat_interval=0.0, backoff=0.01, poll_interval=0.01, send_timeout=2.0
)


class RunningClock:
    """A clock that starts at a chosen moment and then runs with real time (backoff retries come)."""

    def __init__(self, start: datetime) -> None:
        self._start, self._t0 = start, time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


class FakeTelegram(Transport):
    """The transport interface, recording every call; `fail_next` scripts errors per chat."""

    name = "fake"
    bot_id = 1

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Action] = []
        self.delivered: list[Action] = []
        self._errors: dict[int | None, list[Exception]] = {}
        self._ids = itertools.count(100)

    def fail_next(self, error: Exception, *, chat_id: int | None = None, times: int = 1) -> None:
        self._errors.setdefault(chat_id, []).extend([error] * times)

    async def call(self, action: Action) -> Sent:
        self.calls.append(action)
        chat = getattr(action, "chat_id", None)
        for key in (chat, None):
            if self._errors.get(key):
                raise self._errors[key].pop(0)
        self.delivered.append(action)
        return Sent(action.message_id if isinstance(action, Edit) else next(self._ids))

    def texts(self, chat_id: int) -> list[str]:
        return [
            a.text for a in self.delivered if getattr(a, "chat_id", None) == chat_id and hasattr(a, "text")
        ]

    async def feed(self, update: dict[str, Any]) -> None:
        raise NotImplementedError

    async def start_polling(self) -> None:
        raise NotImplementedError

    async def set_webhook(self, url: str, secret: str) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass


def queue(
    db: Database,
    chats: Iterable[int],
    *,
    now: datetime,
    per_chat: int = 1,
    purpose: str = "reminder",
    urgent: bool = False,
    prefix: str = "m",
) -> list[str]:
    """Queue `per_chat` numbered messages to each chat; their texts (= dedupe keys)."""
    keys = []
    with db.unit_of_work() as session:
        for n in range(per_chat):
            for chat in chats:
                key = f"{prefix}-{chat}-{n}"
                enqueue(
                    session, message=Send(chat, key), purpose=purpose, dedupe_key=key, now=now, urgent=urgent
                )
                keys.append(key)
    return keys


@dataclass(frozen=True)
class Row:
    id: int
    chat_id: int
    dedupe_key: str
    status: str
    attempts: int
    last_error: str | None
    message_id: int | None
    payload: dict[str, Any]
    claimed_by: str | None


def rows(db: Database) -> dict[str, Row]:
    """Every outbox row by dedupe key."""
    with db.unit_of_work() as session:
        found = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return {
            r.dedupe_key: Row(
                r.id,
                r.chat_id,
                r.dedupe_key,
                str(r.status),
                r.attempts,
                r.last_error,
                r.message_id,
                r.payload,
                r.claimed_by,
            )
            for r in found
        }


async def until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Wait (re-checking often) until predicate() holds; fail after `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"{what} not reached within {timeout} s") from None
