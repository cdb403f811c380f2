"""Where the clock comes from: the system's, or one started where the settings say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import clock_from
from bot.config import Settings
from models.clock import StartedClock, SystemClock

START = datetime(2028, 2, 29, 1, 0, tzinfo=UTC)


def test_a_started_clock_begins_at_its_moment_and_runs_on() -> None:
    clock = StartedClock(START)
    first, second = clock.now(), clock.now()
    assert START <= first <= second < START + timedelta(seconds=5)
    assert first.tzinfo is not None


def test_settings_without_a_start_give_the_system_clock() -> None:
    assert isinstance(clock_from(Settings(clock_start=None)), SystemClock)


def test_settings_with_a_start_give_a_clock_that_starts_there() -> None:
    clock = clock_from(Settings(clock_start="2028-02-29T09:00:00+08:00"))
    assert START <= clock.now() < START + timedelta(seconds=5)
