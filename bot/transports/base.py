"""What both transports share: updates in, one action at a time out (bot/send_actions.py judges
what a failed one means, for bot/replies.py and the sender bot/outbox.py).

A transport is started once, before it polls, takes a webhook's update or sends anything, and
closed once at the end: by the composition root (bot/app.py: `GridcareBot.start`, `close`), or as
`async with transport:` where a transport is used alone (a sender process, the tests)."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

import structlog

from handlers.events import Action, Incoming, Sent

OnIncoming = Callable[[Incoming], Awaitable[None]]
log = structlog.get_logger("gridcare.transport")


class UnreadableUpdate(ValueError):
    """An update the framework cannot read. It carries the update's id only: the framework's own
    error quotes the update (aiogram's pydantic error held a message's text, issue 17.4)."""

    def __init__(self, update_id: object) -> None:
        self.update_id = update_id if isinstance(update_id, int) else None
        super().__init__(f"update {self.update_id} cannot be read")


def log_update_error(update_id: int | None, exc: BaseException | None) -> None:
    """A failure around an update, logged by the update's id and the exception's type only: never
    the exception's message or traceback, which may quote the update."""
    log.error("update_not_handled", update_id=update_id, error=type(exc).__name__)


class Transport(ABC):
    """A chat framework (aiogram or python-telegram-bot) seen from the core: updates in, actions out."""

    name: str
    bot_id: int

    def __init__(self) -> None:
        self._on_incoming: OnIncoming | None = None
        self._stop = asyncio.Event()

    @abstractmethod
    async def start(self) -> None:
        """Open the framework's client, once, before any update or send; `close()` ends it."""

    @abstractmethod
    async def close(self) -> None:
        """Close the framework's client (after `stop_polling()`, if it polled)."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

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
        """Long-poll until `stop_polling()`, acknowledging an update only once it was handled
        (bot/transports/polling.py)."""

    @abstractmethod
    async def set_webhook(self, url: str, secret: str) -> None:
        """Ask Telegram to push updates to `url`, signed with `secret`."""

    async def stop_polling(self) -> None:
        """End polling (a stop that comes before polling has begun is honoured too)."""
        self._stop.set()
