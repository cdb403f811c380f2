"""Office hours (办公时间) read from free text, and when a held family message is delivered."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from models.family_hours import held_until, parse_office_hours
from models.workdays import WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
WEEKDAYS = frozenset(range(5))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "days", "spans"),
    [
        ("周一至周五 9:00-17:00", WEEKDAYS, ((time(9), time(17)),)),
        (
            "星期一到星期五 8:30～12:00，14:00～17:30",
            WEEKDAYS,
            ((time(8, 30), time(12)), (time(14), time(17, 30))),
        ),
        ("Mon-Fri 9-17", WEEKDAYS, ((time(9), time(17)),)),
        ("周六、周日 10:00-16:00", frozenset({5, 6}), ((time(10), time(16)),)),
        ("每天 8:00—20:00", frozenset(range(7)), ((time(8), time(20)),)),
        ("周五至周一 9:00-17:00", frozenset({4, 5, 6, 0}), ((time(9), time(17)),)),
    ],
)
def test_common_ways_of_writing_office_hours_are_read(text, days, spans):
    hours = parse_office_hours(text)
    assert hours is not None and hours.days == days and hours.spans == spans and not hours.working_days


def test_working_days_follow_the_public_holiday_calendar():
    hours = parse_office_hours("工作日 9:00-17:00")
    assert hours is not None and hours.working_days
    assert not hours.is_open(local(2026, 10, 1, 10, 0), CAL)  # National Day, a Thursday
    # The 2026 Golden Week runs to 7 October: the office opens on the 8th, not on the weekend before.
    assert hours.next_opening(local(2026, 10, 1, 10, 0), CAL) == local(2026, 10, 8, 9, 0)


@pytest.mark.parametrize("text", [None, "", "随时联系", "24小时", "9点上班", "25:00-26:00", "17:00-9:00"])
def test_unreadable_or_round_the_clock_hours_count_as_always_open(text):
    assert parse_office_hours(text) is None
    assert held_until(text, datetime(2026, 3, 4, 15, 0, tzinfo=UTC), tz=TZ, calendar=CAL) is None


def test_a_message_inside_office_hours_goes_at_once():
    wednesday_10 = local(2026, 3, 4, 10, 0).astimezone(UTC)
    assert held_until("周一至周五 9:00-17:00", wednesday_10, tz=TZ, calendar=CAL) is None


def test_an_evening_message_waits_for_the_next_morning():
    wednesday_22 = local(2026, 3, 4, 22, 0).astimezone(UTC)
    assert held_until("周一至周五 9:00-17:00", wednesday_22, tz=TZ, calendar=CAL) == local(2026, 3, 5, 9, 0)


def test_a_friday_evening_message_waits_for_monday():
    friday_18 = local(2026, 3, 6, 18, 0).astimezone(UTC)
    assert held_until("周一至周五 9:00-17:00", friday_18, tz=TZ, calendar=CAL) == local(2026, 3, 9, 9, 0)


def test_a_lunch_break_message_waits_for_the_afternoon():
    noon = local(2026, 3, 4, 12, 30).astimezone(UTC)
    assert held_until("周一至周五 8:30-12:00, 14:00-17:30", noon, tz=TZ, calendar=CAL) == local(
        2026, 3, 4, 14, 0
    )
