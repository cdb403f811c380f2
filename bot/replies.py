"""Delivering an update's replies: at once if Telegram takes them, else through the outbox.

The core's answer to an update (`✅ 已保存`, the /today list, an edited prompt) is performed right
after the update's unit of work, in order, each action with a few quick attempts. If Telegram
still fails (5xx, network, time-out, or a 429 longer than a reply should wait), that reply and
every one after it are queued in the outbox (models.services.outbox.replies) and the sender delivers them
once Telegram answers again: in order within the chat, each once. While a chat has replies
queued, the replies to its later updates queue behind them instead of overtaking them.

What a failure means (wait, try again, or give up) is judged by bot/send_actions.py, as for the
sender; an edit whose message is gone becomes a new message there too. An answer to a button
press is never queued: Telegram forgets the press within seconds.

Limits: replies are queued after their update committed, so a process that dies while a reply is
still being tried loses that reply (the record is saved). And as with the sender, a send that
Telegram accepted but whose answer was lost (a time-out) is sent once more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from bot.db import Database
from bot.send_actions import Verdict, attempt
from bot.transports.base import Transport
from handlers.events import Action, AnswerCallback, ChatAction, Incoming
from models.clock import Clock
from models.services.outbox.replies import queue_replies, replies_waiting, reply_key

log = structlog.get_logger("gridcare.replies")


@dataclass(frozen=True)
class ReplySettings:
    """How hard a reply is tried before it is left to the outbox."""

    attempts: int = 3
    backoff: float = 0.5  # seconds before the second attempt, doubled after each failure
    flood_wait_max: float = 5.0  # a 429 asking for a longer wait queues the reply at once
    timeout: float = 20.0  # an attempt without an answer this long counts as failed


class Replies:
    """Performs replies through the transport; queues what Telegram cannot take now."""

    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        clock: Clock,
        settings: ReplySettings | None = None,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        """on_queued: told when replies were queued (the sender's wake)."""
        self.db = db
        self.transport = transport
        self.clock = clock
        self.settings = settings or ReplySettings()
        self.on_queued = on_queued

    async def deliver(
        self, incoming: Incoming, actions: Sequence[Action], *, behind: bool | None = None
    ) -> None:
        """Perform the update's replies, or queue them; never raises for Telegram's failures.
        `behind`: whether earlier replies to these chats wait in the outbox, if the update's unit of
        work read it (handlers.core.Answer); None: read it here."""
        if not actions:
            return
        start = 0
        if behind is None:
            behind = await self._waiting(actions)
        if not behind:
            start = await self._perform(actions)
            if start == len(actions):
                return
        await self._queue(incoming, actions, start)

    async def _waiting(self, actions: Sequence[Action]) -> bool:
        """Whether earlier replies to these chats still wait in the outbox (then these queue too)."""
        chats = {chat for action in actions if (chat := getattr(action, "chat_id", None)) is not None}
        try:
            return await self.db.run(replies_waiting, chats)
        except Exception:  # the database failed (the update's apology, say): answer directly
            log.exception("reply_queue_unreadable")
            return False

    async def _perform(self, actions: Sequence[Action]) -> int:
        """Perform in order; the index of the first action Telegram would not take (len: all done)."""
        for index, action in enumerate(actions):
            if not await self._perform_one(action) and not isinstance(action, AnswerCallback):
                return index
        return len(actions)

    async def _perform_one(self, action: Action) -> bool:
        """True when settled (done, or refused for good); False when Telegram could not take it."""
        name = type(action).__name__
        for tried in range(1, self.settings.attempts + 1):
            outcome = await attempt(self.transport.call, action, timeout=self.settings.timeout)
            if outcome.verdict is Verdict.rejected:
                log.warning("reply_rejected", action=name, error=outcome.reason[:120])
            elif outcome.verdict is Verdict.blocked:
                log.info("reply_unreachable", action=name)
            if outcome.settled:
                return True
            flood = outcome.verdict is Verdict.flood
            if flood and outcome.seconds > self.settings.flood_wait_max:
                break  # a long wait: the outbox waits it out, not the update's answer
            if tried < self.settings.attempts:
                await asyncio.sleep(outcome.seconds if flood else self.settings.backoff * 2 ** (tried - 1))
        log.info("reply_not_taken", action=name)
        return False

    async def _queue(self, incoming: Incoming, actions: Sequence[Action], start: int) -> None:
        """Queue actions[start:] in the outbox, each keyed by the update and its place."""
        replies: list[tuple[str, ChatAction]] = []
        for index in range(start, len(actions)):
            action = actions[index]
            if isinstance(action, AnswerCallback):
                await self._perform_one(action)  # a button's answer: now or never
                continue
            replies.append((reply_key(incoming.bot_id, incoming.update_id, index), action))
        if not replies:
            return
        try:
            await self.db.run(queue_replies, replies, now=self.clock.now())
        except Exception:
            log.exception("reply_lost", update_id=incoming.update_id, replies=len(replies))
            return
        log.info("reply_queued", update_id=incoming.update_id, replies=len(replies))
        self.on_queued()
