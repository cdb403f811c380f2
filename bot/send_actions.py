"""One attempt at an action, and what came of it: the one place that says what a failed send means,
for an update's replies (bot/replies.py) and the outbox sender (bot/outbox.py) alike.

Telegram's answer, as the transports' neutral errors (handlers.events), is judged one of:

* delivered: Telegram took it; so did an edit that would change nothing ("message is not
  modified"). An edit whose message is gone is sent as a new message instead, so what it says
  still reaches the chat;
* flood (429): the same action may go after `seconds`;
* failed (5xx, network failure, time-out, or an answer no transport expected): try again later;
* rejected (400): the message itself is wrong: never again;
* blocked (403): the chat blocked the bot or is gone: never again.

What follows (wait and retry, queue the reply, mark the outbox row) is each caller's own.
The verdicts are also the `outcome` label of the sends metric (bot/metrics.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from handlers.events import (
    Action,
    BadRequest,
    Edit,
    RetryLater,
    Send,
    Sent,
    Transient,
    Unreachable,
)

log = structlog.get_logger("gridcare.send")
Call = Callable[[Action], Awaitable[Sent]]


class Verdict(StrEnum):
    delivered = "delivered"
    flood = "flood"
    failed = "failed"
    rejected = "rejected"
    blocked = "blocked"


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to; `reason` says why it failed (an outbox row keeps it)."""

    verdict: Verdict
    reason: str = ""
    message_id: int | None = None  # delivered: the message Telegram made or changed
    seconds: float = 0.0  # flood: how long Telegram asks to wait

    @property
    def settled(self) -> bool:
        """Delivered, or refused for good: not to be tried again."""
        return self.verdict in (Verdict.delivered, Verdict.rejected, Verdict.blocked)


async def attempt(call: Call, action: Action, *, timeout: float) -> Outcome:
    """Perform the action through `call` (each request given `timeout` seconds) and judge the answer."""

    async def timed(action: Action) -> Sent:
        async with asyncio.timeout(timeout):
            return await call(action)

    try:
        sent = await _call_or_send_new(timed, action)
    except RetryLater as exc:
        return Outcome(Verdict.flood, "429", seconds=max(exc.seconds, 0.1))
    except Unreachable as exc:
        return Outcome(Verdict.blocked, str(exc) or "forbidden")
    except BadRequest as exc:
        if isinstance(action, Edit) and exc.not_modified:
            return Outcome(Verdict.delivered, message_id=action.message_id)
        return Outcome(Verdict.rejected, str(exc) or "bad request")
    except TimeoutError:
        return Outcome(Verdict.failed, f"time-out after {timeout:g} s")
    except Transient as exc:
        return Outcome(Verdict.failed, str(exc) or "transient error")
    except Exception as exc:  # an answer the transport did not expect: tried again, and logged whole
        log.exception("send_crashed", action=type(action).__name__)
        return Outcome(Verdict.failed, type(exc).__name__)
    return Outcome(Verdict.delivered, message_id=sent.message_id)


async def _call_or_send_new(call: Call, action: Action) -> Sent:
    """Perform the action; an edit whose message is gone (deleted, or never there) is sent instead
    as a new message with its text and buttons."""
    try:
        return await call(action)
    except BadRequest as exc:
        if not (isinstance(action, Edit) and exc.message_gone):
            raise
        log.info("edit_target_gone", chat_id=action.chat_id, message_id=action.message_id)
        return await call(Send(action.chat_id, action.text, action.buttons))
