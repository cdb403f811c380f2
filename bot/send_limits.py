"""The sender's limits: its settings, and a cap on sends per second that jitter cannot break."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SenderSettings:
    """The sender's numbers; Telegram's documented limits are 30 messages/s and 1/s per chat."""

    per_second: int = 30  # sends in any second, for all chats together (see SendWindow)
    chat_interval: float = 1.0
    max_attempts: int = 8  # failed sends (5xx, time-outs) before a row is dead
    backoff: float = 5.0  # seconds before the first retry, doubled per further failure
    backoff_cap: float = 1800.0
    lease: float = 120.0  # a claimed row is given back if its sender is silent this long
    send_timeout: float = 20.0
    poll_interval: float = 0.5  # how often an idle sender looks for due rows (wake() is instant)
    leader_check: float = 2.0  # how often a sender checks (or tries to take) the sending lock
    form_hold: float = 1200.0  # an open form older than this (abandoned) no longer holds reminders
    flood_wait_max: float = 15.0  # 429s up to this are waited out holding the row; longer ones requeue
    batch: int = 0  # rows claimed at once; 0: one second's worth

    @property
    def claim_size(self) -> int:
        return self.batch or max(1, self.per_second)


class SendWindow:
    """At most `limit` sends answered less than `seconds` ago or still on their way.

    Telegram counts a send when it arrives: after we start it and before its answer reaches us.
    So if a send starts only while fewer than `limit` others were answered within the last
    `seconds` (or are unanswered), Telegram never sees more than `limit` arrivals in any such
    window, however the network delays them. Evenly spaced slots alone cannot promise that: one
    request delayed a few milliseconds and the next on time make 31 in a second. The price is
    throughput `limit / (seconds + latency)`.
    """

    def __init__(self, limit: int, seconds: float = 1.0, wall: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.seconds = seconds
        self.wall = wall
        self._answered: deque[float] = deque()
        self._flying = 0
        self._changed = asyncio.Event()

    async def acquire(self) -> None:
        """Wait until one more send may start, and count it as on its way."""
        while True:
            now = self.wall()
            while self._answered and self._answered[0] <= now - self.seconds:
                self._answered.popleft()
            if self._flying + len(self._answered) < self.limit:
                self._flying += 1
                return
            delay = self._answered[0] + self.seconds - now if self._answered else None
            self._changed.clear()
            try:
                async with asyncio.timeout(delay):
                    await self._changed.wait()
            except TimeoutError:
                pass

    def release(self) -> None:
        """The send's answer (or failure) came back now."""
        self._flying -= 1
        self._answered.append(self.wall())
        self._changed.set()
