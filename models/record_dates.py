"""When a record happened: the pure date rules of every record form (no database, no clock).

A record is dated the day it happened, chosen by the worker: today (the default), yesterday, or
any day back to the locality's window (`Policy.record_window_days`, 30 by default), never before
the person's programme started (nor, for a registration, before release). It then counts for the
period it is dated in (models.schedule counts by `occurred_at`), so a missed period can be closed;
filed more than 48 hours after that day, it keeps the late flag (补录) for good.

An assessment (量化评估 / 综合评估) may also be dated back into the previous period of its rule, so
that a half-year or year missed can be closed after the window: late, and said so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.schedule_rules import Rule, period_of

DEFAULT_WINDOW_DAYS = 30
LATE_AFTER = timedelta(hours=48)  # filed later than this after it happened: marked late
PAGE_DAYS = 7  # the date picker shows a week of days per page
NOON = time(12)


def is_late(occurred_at: datetime, filed_at: datetime) -> bool:
    """补录: filed more than 48 hours after it happened."""
    return filed_at - occurred_at > LATE_AFTER


def moment_of(day: date, *, today: date, now: datetime, tz: ZoneInfo) -> datetime:
    """When a record dated `day` happened: now for today, else noon (local) of that day.

    Noon keeps a day's record inside that local day whatever the time zone, and makes yesterday's
    record, filed this morning, not late (a day and a half at most).
    """
    if day == today:
        return now
    return datetime.combine(day, NOON, tzinfo=tz)


@dataclass(frozen=True)
class Window:
    """The days a record may be dated: from `earliest` to `today`, both included; `floor` is the
    day before which nothing about the person can have happened (programme start, release)."""

    today: date
    earliest: date
    floor: date | None = None

    @property
    def days(self) -> int:
        return max((self.today - self.earliest).days + 1, 0)

    def refusal(self, day: date) -> str | None:
        """Why `day` is refused ("future", "before_start", "too_old"), or None if it may be used."""
        if day > self.today:
            return "future"
        if self.floor is not None and day < self.floor:
            return "before_start"
        if day < self.earliest:
            return "too_old"
        return None

    def page(self, number: int) -> tuple[date, ...]:
        """The days on page `number` of the picker, latest first (page 0 starts with today)."""
        first = self.today - timedelta(days=number * PAGE_DAYS)
        return tuple(
            day for back in range(PAGE_DAYS) if (day := first - timedelta(days=back)) >= self.earliest
        )

    @property
    def pages(self) -> int:
        return max(1, -(-self.days // PAGE_DAYS))


def window(
    today: date,
    window_days: int,
    *,
    floors: Iterable[date | None] = (),
    reach_back_to: date | None = None,
) -> Window:
    """The window for one record: `window_days` back from today (today counts as one), or back to
    `reach_back_to` if that is earlier (an assessment's previous period), never before a floor
    (the programme start, a release date).
    """
    earliest = today - timedelta(days=max(window_days, 1) - 1)
    if reach_back_to is not None:
        earliest = min(earliest, reach_back_to)
    floor = max((f for f in floors if f is not None), default=None)
    if floor is not None:
        earliest = max(earliest, floor)
    return Window(today, earliest, floor)


def previous_period_start(rules: Iterable[Rule], today: date) -> date | None:
    """The first day of the previous period of these rules (the earliest, if several): the day an
    overdue assessment may be dated back to."""
    starts = []
    for rule in rules:
        current, _ = period_of(rule.unit, rule.every, today)
        previous, _ = period_of(rule.unit, rule.every, current - timedelta(days=1))
        starts.append(previous)
    return min(starts, default=None)


_DATE_FORMS = (
    re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
)
_WORDS = {"今天": 0, "today": 0, "昨天": 1, "yesterday": 1, "前天": 2, "明天": -1, "tomorrow": -1}


def parse_day(text: str, today: date, *, ahead: bool = False) -> date | None:
    """A typed date: 2026-03-02, 2026/3/2, 2026年3月2日, 3-2, 3月2日, 20260302, 今天, 昨天, 前天.

    Without a year, the latest such day up to today is meant; with `ahead`, a day of this year
    unless it lies half a year back, which means next year ("1-2" typed on 30 December).
    """
    cleaned = "".join(ch for ch in text if ch.isprintable()).strip().lower().replace(" ", "")
    if cleaned in _WORDS:
        return today - timedelta(days=_WORDS[cleaned])
    for form in _DATE_FORMS:
        match = form.match(cleaned)
        if match is None:
            continue
        parts = match.groupdict()
        year = int(parts.get("y") or today.year)
        try:
            day = date(year, int(parts["m"]), int(parts["d"]))
        except ValueError:
            return None
        shift = 0
        if parts.get("y") is None and not ahead and day > today:  # "12-30" on 2 January: last year
            shift = -1
        elif parts.get("y") is None and ahead and (today - day).days > 180:  # "1-2" on 30 December
            shift = 1
        if shift:
            try:
                day = day.replace(year=year + shift)
            except ValueError:  # 29 February
                return None
        return day
    return None
