"""Flood control for incoming updates: one account sending hundreds a minute is slowed down alone.

A token bucket per Telegram account, in memory, checked before an update reaches the database: an
account may send `burst` updates at once and `per_minute` a minute after that; beyond it, its updates
are dropped (not processed) and it is told once per minute to slow down. Other accounts are not
touched, and a flood costs the database nothing. The bucket is per process: with N webhook processes
behind a proxy a flooding account gets at most N times the rate, still far from harming the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class Verdict(Enum):
    admit = "admit"
    warn = "warn"  # dropped; tell the account to slow down
    drop = "drop"  # dropped silently (told already)


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


@dataclass
class Throttle:
    """`per_minute` ≤ 0 switches flood control off (benchmarks that measure the process's capacity).

    It runs on the machine's monotonic clock, not the domain clock: a flood is a real rate of messages.
    """

    per_minute: int = 120
    burst: int = 30
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[int, _Bucket] = field(default_factory=dict)

    def check(self, user_id: int) -> Verdict:
        if self.per_minute <= 0:
            return Verdict.admit
        now = self.clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            self._forget_idle(now)
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), now)
        refill = (now - bucket.at) * self.per_minute / 60
        bucket.tokens, bucket.at = min(float(self.burst), bucket.tokens + max(refill, 0.0)), now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return Verdict.admit
        if bucket.warned:
            return Verdict.drop
        bucket.warned = True
        return Verdict.warn

    def _forget_idle(self, now: float) -> None:
        """Drop the buckets of accounts that have been quiet long enough to be full again."""
        if len(self._buckets) < 10_000:
            return
        full_after = self.burst * 60 / self.per_minute
        self._buckets = {user: b for user, b in self._buckets.items() if now - b.at < full_after}
