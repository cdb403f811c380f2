"""Flood control: one account over its rate is dropped and told once; others are untouched."""

from __future__ import annotations

from handlers.flood import Throttle, Verdict


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_burst_is_admitted_then_the_flooder_is_told_once_and_dropped():
    clock = Clock()
    throttle = Throttle(per_minute=60, burst=5, clock=clock)
    verdicts = [throttle.check(1) for _ in range(9)]
    assert verdicts == [Verdict.admit] * 5 + [Verdict.warn] + [Verdict.drop] * 3


def test_others_are_not_slowed_by_a_flooder():
    clock = Clock()
    throttle = Throttle(per_minute=60, burst=5, clock=clock)
    for _ in range(500):
        throttle.check(1)
    assert [throttle.check(2) for _ in range(5)] == [Verdict.admit] * 5


def test_the_rate_refills_and_a_new_flood_is_told_again():
    clock = Clock()
    throttle = Throttle(per_minute=60, burst=2, clock=clock)
    assert [throttle.check(1) for _ in range(4)] == [Verdict.admit, Verdict.admit, Verdict.warn, Verdict.drop]
    clock.t += 1.0  # one a second
    assert throttle.check(1) is Verdict.admit
    assert throttle.check(1) is Verdict.warn, "a fresh flood after being admitted is told again"
    clock.t += 60.0
    assert [throttle.check(1) for _ in range(3)] == [Verdict.admit, Verdict.admit, Verdict.warn]


def test_zero_switches_it_off():
    throttle = Throttle(per_minute=0, burst=1, clock=Clock())
    assert all(throttle.check(1) is Verdict.admit for _ in range(1000))


def test_idle_accounts_are_forgotten_so_memory_stays_bounded():
    clock = Clock()
    throttle = Throttle(per_minute=60, burst=2, clock=clock)
    for user in range(10_000):
        throttle.check(user)
    clock.t += 10.0  # everyone refilled
    throttle.check(99_999)
    assert len(throttle._buckets) == 1
