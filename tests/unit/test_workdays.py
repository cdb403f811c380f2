"""Working days in mainland China, checked against the State Council's 2025 and 2026 notices."""

from __future__ import annotations

from datetime import date

import pytest

from models.workdays import WorkCalendar

CN = WorkCalendar()


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 9, 30),  # an ordinary Tuesday
        date(2025, 9, 28),  # Sunday worked before National Day (调休)
        date(2025, 10, 11),  # Saturday worked after National Day
        date(2026, 1, 4),  # Sunday worked after New Year
        date(2026, 2, 14),  # Saturday worked before the Spring Festival
    ],
)
def test_weekdays_and_swapped_weekend_days_are_working_days(day: date) -> None:
    assert CN.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 9, 27),  # an ordinary Saturday
        date(2025, 10, 1),  # National Day
        date(2025, 10, 8),  # a Wednesday off, swapped for 2025-10-11
        date(2026, 1, 1),  # New Year's Day
        date(2026, 1, 2),  # a Friday off, swapped for 2026-01-04
        date(2026, 2, 23),  # the last day of the 2026 Spring Festival break, a Monday
    ],
)
def test_weekends_and_public_holidays_are_not_working_days(day: date) -> None:
    assert not CN.is_working_day(day)


def test_next_working_day_skips_the_national_day_break() -> None:
    assert CN.next_working_day(date(2025, 9, 30)) == date(2025, 10, 9)


def test_next_working_day_after_a_friday_can_be_a_swapped_sunday() -> None:
    assert CN.next_working_day(date(2025, 9, 26)) == date(2025, 9, 28)


def test_next_working_day_is_strictly_after_the_day() -> None:
    assert CN.next_working_day(date(2025, 10, 9)) == date(2025, 10, 10)


def test_next_working_day_crosses_into_the_next_year() -> None:
    assert CN.next_working_day(date(2025, 12, 31)) == date(2026, 1, 4)


def test_roll_forward_keeps_a_working_day() -> None:
    assert CN.roll_forward(date(2025, 6, 30)) == date(2025, 6, 30)


def test_roll_forward_moves_a_rest_day_to_the_next_working_day() -> None:
    assert CN.roll_forward(date(2026, 2, 15)) == date(2026, 2, 24)


def test_a_fresh_calendar_answers_the_same_as_a_warm_one() -> None:
    fresh = WorkCalendar()
    days = [date(2025, 10, 1), date(2025, 9, 28), date(2026, 1, 4), date(2026, 1, 1)]
    assert [fresh.is_working_day(d) for d in days] == [CN.is_working_day(d) for d in days]
