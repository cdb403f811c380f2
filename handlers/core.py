"""The framework-neutral bot: one update in, a list of actions out, one unit of work per update."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from handlers.context import Ctx
from handlers.events import Action, Incoming, Send
from handlers.flood import Throttle, Verdict
from handlers.render import Renderer
from handlers.router import Router
from models.clock import Clock
from models.crypto import KeyRing
from models.policy import Policy
from models.services.identity import arrive
from models.services.outbox.replies import replies_waiting
from models.services.updates import begin_update

T = TypeVar("T")
RunUnit = Callable[..., Awaitable[Any]]  # db.run: run fn(session, *args) in one unit of work

log = structlog.get_logger("gridcare.core")


class ChatLocks:
    """One asyncio lock per chat, dropped when unused: a chat's updates run one at a time, in order."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users == 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)


@dataclass(frozen=True)
class Answer:
    """What to send for an update, and whether earlier replies to its chats still wait in the outbox
    (bot/replies.py: then these queue behind them), read in the update's own unit of work rather
    than in a second trip to the database; None where no unit of work told (the apology)."""

    actions: list[Action]
    behind: bool | None = False


class Core:
    """Handles neutral updates. Knows no framework; reaches the database only through `run_unit`."""

    def __init__(
        self,
        *,
        router: Router,
        renderer: Renderer,
        clock: Clock,
        run_unit: RunUnit,
        policy: Policy | None = None,
        keys: KeyRing | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.router = router
        self.keys = keys
        self.policy = policy or Policy(tz=renderer.tz)
        self.renderer = renderer
        self.clock = clock
        self.run_unit = run_unit
        self.locks = ChatLocks()
        self.throttle = throttle or Throttle(per_minute=0)  # the composition root sets the limit

    async def handle(self, incoming: Incoming) -> list[Action]:
        """Process one update (once, in chat order) and return what to send."""
        return (await self.answer(incoming)).actions

    async def answer(self, incoming: Incoming) -> Answer:
        """`handle`, and whether the replies must queue behind earlier ones (read in the same trip)."""
        verdict = self.throttle.check(incoming.user_id)
        if verdict is not Verdict.admit:
            log.info("update_throttled", update_id=incoming.update_id, warned=verdict is Verdict.warn)
            if verdict is Verdict.drop:
                return Answer([])
            locale = self.renderer.locale_of(incoming.language_code)
            return Answer([Send(incoming.chat_id, self.renderer.render(locale, "errors/slow_down"))], None)
        async with self.locks.hold(incoming.chat_id):
            try:
                return await self.run_unit(self._process, incoming)
            except Exception:
                # The unit of work rolled back, update id included, so a redelivery is tried again.
                log.exception("update_failed", update_id=incoming.update_id, kind=str(incoming.kind))
                locale = self.renderer.locale_of(incoming.language_code)
                return Answer([Send(incoming.chat_id, self.renderer.render(locale, "errors/internal"))], None)

    def _process(self, session: Any, incoming: Incoming) -> Answer:
        now = self.clock.now()
        if not begin_update(session, incoming.bot_id, incoming.update_id, incoming.chat_id, now=now):
            log.info("update_duplicate", update_id=incoming.update_id)
            return Answer([])
        identity, chosen = arrive(session, incoming.user_id, incoming.chat_id, now=now)
        locale = self.renderer.locale_of(chosen, identity.locale, incoming.language_code)
        ctx = Ctx(
            incoming=incoming,
            identity=identity,
            locale=locale,
            now=now,
            renderer=self.renderer,
            _session=session,
            menu=self.router.menu,
            dialogs=self.router.engine,
            policy=self.policy,
            keys=self.keys,
        )
        self.router.dispatch(ctx)
        chats = {chat for action in ctx.actions if (chat := getattr(action, "chat_id", None)) is not None}
        return Answer(ctx.actions, replies_waiting(session, chats))
