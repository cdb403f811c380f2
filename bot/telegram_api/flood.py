"""Telegram's flood control, as documented in the Bot FAQ, for one bot.

* at most ``global_per_second`` sends in any sliding one-second window (Telegram: about 30/s);
* per private chat a token bucket refilled at ``per_chat_per_second`` (Telegram: 1/s) that holds
  ``per_chat_burst`` tokens, because Telegram "may allow short bursts that go over this limit";
* per group chat (negative chat id) at most ``group_per_minute`` sends in a sliding minute (20).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.telegram_api.errors import ApiError, too_many_requests


@dataclass(frozen=True)
class FloodLimits:
    """Configuration of the flood control; pass ``flood_limits=None`` to the server to switch it off."""

    global_per_second: int = 30
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    group_per_minute: int = 20


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class FloodControl:
    """Admits or refuses (429 with retry_after) each send of one bot."""

    limits: FloodLimits
    clock: Callable[[], float]
    _recent: deque[float] = field(default_factory=deque)
    _buckets: dict[int, _Bucket] = field(default_factory=dict)
    _groups: dict[int, deque[float]] = field(default_factory=dict)

    def admit(self, chat_id: int) -> None:
        """Record a send to chat_id, or raise a 429 ApiError without recording it."""
        now = self.clock()
        error = self._check_global(now) or self._check_chat(chat_id, now)
        if error is not None:
            raise error
        self._recent.append(now)
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)
        else:
            self._bucket(chat_id, now).tokens -= 1

    def _check_global(self, now: float) -> ApiError | None:
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) < self.limits.global_per_second:
            return None
        return too_many_requests(math.ceil(self._recent[0] + 1.0 - now))

    def _check_chat(self, chat_id: int, now: float) -> ApiError | None:
        if chat_id < 0:
            window = self._groups.setdefault(chat_id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) < self.limits.group_per_minute:
                return None
            return too_many_requests(math.ceil(window[0] + 60.0 - now))
        bucket = self._bucket(chat_id, now)
        if bucket.tokens >= 1.0:
            return None
        return too_many_requests(math.ceil((1.0 - bucket.tokens) / self.limits.per_chat_per_second))

    def _bucket(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._buckets.setdefault(chat_id, _Bucket(float(self.limits.per_chat_burst), now))
        refill = (now - bucket.updated) * self.limits.per_chat_per_second
        bucket.tokens = min(float(self.limits.per_chat_burst), bucket.tokens + refill)
        bucket.updated = now
        return bucket
