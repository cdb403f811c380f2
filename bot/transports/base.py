"""What both transports share: performing the core's actions with one retry policy."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from handlers.events import Action, BadRequest, Incoming, RetryLater, Sent, Transient, Unreachable

log = structlog.get_logger("gridcare.transport")

OnIncoming = Callable[[Incoming], Awaitable[None]]
REPLY_ATTEMPTS = 4


class Transport(ABC):
    """A chat framework (aiogram or python-telegram-bot) seen from the core: updates in, actions out."""

    name: str
    bot_id: int

    def __init__(self) -> None:
        self._on_incoming: OnIncoming | None = None

    def on_incoming(self, callback: OnIncoming) -> None:
        """Where converted updates go (the runtime's handler)."""
        self._on_incoming = callback

    async def _deliver(self, incoming: Incoming | None) -> None:
        if incoming is not None and self._on_incoming is not None:
            await self._on_incoming(incoming)

    @abstractmethod
    async def call(self, action: Action) -> Sent:
        """Perform one action; raise the neutral errors of handlers.events."""

    @abstractmethod
    async def feed(self, update: dict[str, Any]) -> None:
        """Process one update given as Telegram's JSON (webhook), through the framework's dispatcher."""

    @abstractmethod
    async def start_polling(self) -> None:
        """Long-poll until `stop()`."""

    @abstractmethod
    async def set_webhook(self, url: str, secret: str) -> None:
        """Ask Telegram to push updates to `url`, signed with `secret`."""

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def perform(self, actions: list[Action]) -> list[Sent]:
        """Perform a reply's actions in order, waiting out flood control; never raises for one failure."""
        results = []
        for action in actions:
            results.append(await self.perform_one(action))
        return results

    async def perform_one(self, action: Action) -> Sent:
        for attempt in range(1, REPLY_ATTEMPTS + 1):
            try:
                return await self.call(action)
            except RetryLater as exc:
                await asyncio.sleep(exc.seconds)
            except Transient:
                await asyncio.sleep(0.5 * 2**attempt)
            except BadRequest as exc:
                if not exc.not_modified:
                    log.warning("reply_rejected", action=type(action).__name__, error=str(exc)[:120])
                return Sent()
            except Unreachable:
                log.info("reply_unreachable", action=type(action).__name__)
                return Sent()
        log.warning("reply_gave_up", action=type(action).__name__)
        return Sent()
