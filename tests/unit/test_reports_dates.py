"""Typed dates in report forms: the formats a worker types, and what they mean."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.dialogs.common import parse_day

TODAY = date(2026, 3, 4)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("2026-03-02", date(2026, 3, 2)),
        ("2026/3/2", date(2026, 3, 2)),
        ("2026.3.2", date(2026, 3, 2)),
        ("2026年3月2日", date(2026, 3, 2)),
        ("3-2", date(2026, 3, 2)),
        ("3月2日", date(2026, 3, 2)),
        (" 3 / 2 ", date(2026, 3, 2)),
        ("20260302", date(2026, 3, 2)),
        ("今天", TODAY),
        ("昨天", date(2026, 3, 3)),
        ("前天", date(2026, 3, 2)),
        ("Yesterday", date(2026, 3, 3)),
    ],
)
def test_typed_dates_in_common_formats_are_understood(typed, meant):
    assert parse_day(typed, TODAY) == meant


@pytest.mark.parametrize("typed", ["", "明天见", "2026-02-30", "13-1", "3-2-1", "12345", "３月", "<b>"])
def test_anything_else_is_not_a_date(typed):
    assert parse_day(typed, TODAY) is None


def test_a_day_without_a_year_means_the_latest_such_day_so_far():
    assert parse_day("12-30", date(2027, 1, 2)) == date(2026, 12, 30)
    assert parse_day("3-5", TODAY) == date(2025, 3, 5)


def test_looking_ahead_a_day_without_a_year_is_this_year_unless_half_a_year_back():
    assert parse_day("3-10", TODAY, ahead=True) == date(2026, 3, 10)
    assert parse_day("3-1", TODAY, ahead=True) == date(2026, 3, 1)  # a slip: refused as past later
    assert parse_day("1-2", date(2026, 12, 30), ahead=True) == date(2027, 1, 2)
    assert parse_day("明天", TODAY, ahead=True) == date(2026, 3, 5)
