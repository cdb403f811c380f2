"""Working days: weekends and public holidays off, swapped weekend working days (调休) on.

Deadlines that fall on a rest day move to the next working day, and in China the rest days are
not just Saturdays and Sundays: the State Council moves whole weekends around each holiday
(a Sunday before National Day is a working day, a Wednesday after it is not). The `holidays`
library carries that calendar, including the swapped working weekends (`weekend_workdays`).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

# A year has at most 366 days; a search that goes further means the calendar has no working days.
_MAX_SEARCH = 366


class WorkCalendar:
    """A country's official working days, computed once per year and then answered from a set."""

    def __init__(self, country: str = "CN") -> None:
        self._country = country
        self._days_off: dict[int, frozenset[date]] = {}

    @property
    def country(self) -> str:
        """Whose official calendar this is (ISO code)."""
        return self._country

    def is_working_day(self, day: date) -> bool:
        """True on an ordinary weekday that is no holiday, and on a swapped working weekend day."""
        return day not in self._off_in(day.year)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day` (e.g. when to send the next digest)."""
        return self.roll_forward(day + timedelta(days=1))

    def roll_forward(self, day: date) -> date:
        """`day` itself if it is a working day, else the first working day after it (a deadline)."""
        candidate = day
        for _ in range(_MAX_SEARCH):
            if self.is_working_day(candidate):
                return candidate
            candidate += timedelta(days=1)
        raise ValueError(f"no working day within {_MAX_SEARCH} days after {day.isoformat()}")

    def _off_in(self, year: int) -> frozenset[date]:
        cached = self._days_off.get(year)
        if cached is None:
            cached = self._days_off[year] = _days_off(self._country, year)
        return cached


@lru_cache(maxsize=64)
def _days_off(country: str, year: int) -> frozenset[date]:
    """A year's rest days. Asking the library day by day is slow and expands its internal state,
    and building a year takes a third of a second: one pass per country and year per process
    (shared by every calendar, so a new Policy costs nothing), then every question is a set lookup."""
    calendar = holidays.country_holidays(country, years=year)
    first = date(year, 1, 1)
    length = (date(year + 1, 1, 1) - first).days
    days = (first + timedelta(days=n) for n in range(length))
    return frozenset(d for d in days if not calendar.is_working_day(d))
