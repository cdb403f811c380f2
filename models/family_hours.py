"""A worker's office hours (办公时间), read from the free text of the directory, e.g. "周一至周五 9:00-17:00".

Family messages that arrive outside them wait for the next opening, so a worker is not pinged at
night. The text is typed by administrators, so the parser is forgiving and simple: a day part
(周一至周五, 工作日, 每天, Mon-Fri, weekdays ...) and one or more time ranges (9:00-12:00, 14:00-17:30).
Anything it cannot read counts as "always open": a message is never held back by a typo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.workdays import WorkCalendar

ALL_DAYS = frozenset(range(7))
_DAY_NAMES = {
    "一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
_DASH = r"\s*(?:-|~|～|至|到|—|–|to)\s*"
_DAY = r"(?:周|星期|礼拜)([一二三四五六日天七])|\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b"
_DAY_RANGE = re.compile(f"(?:{_DAY}){_DASH}(?:{_DAY})", re.IGNORECASE)
_ONE_DAY = re.compile(_DAY, re.IGNORECASE)
_TIME_RANGE = re.compile(r"(\d{1,2})(?:[:：.](\d{2}))?" + _DASH + r"(\d{1,2})(?:[:：.](\d{2}))?")
_WORKING_DAYS = re.compile(r"工作日|workdays?|weekdays|business days", re.IGNORECASE)
_ALWAYS = re.compile(r"24\s*(?:小时|h|hours)|全天候", re.IGNORECASE)
_SEARCH_DAYS = 40  # long enough to get past the Spring Festival week off


@dataclass(frozen=True)
class OfficeHours:
    """When a worker answers: weekdays (0 = Monday), or the official working days, and time spans."""

    days: frozenset[int]
    spans: tuple[tuple[time, time], ...]
    working_days: bool = False  # 工作日: follows the public-holiday calendar, swapped days included

    def open_on(self, day: date, calendar: WorkCalendar) -> bool:
        if self.working_days:
            return calendar.is_working_day(day)
        return day.weekday() in self.days

    def is_open(self, local: datetime, calendar: WorkCalendar) -> bool:
        """True if `local` (a local wall-clock time) falls in office hours."""
        clock = local.time().replace(tzinfo=None)
        return self.open_on(local.date(), calendar) and any(a <= clock < b for a, b in self.spans)

    def next_opening(self, local: datetime, calendar: WorkCalendar) -> datetime | None:
        """The first local moment at or after `local` when the office is open (None if never)."""
        if self.is_open(local, calendar):
            return local
        for offset in range(_SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            if not self.open_on(day, calendar):
                continue
            for start, _end in sorted(self.spans):
                opening = datetime.combine(day, start, tzinfo=local.tzinfo)
                if opening >= local:
                    return opening
        return None


def _day_index(match: re.Match[str], first_group: int) -> int:
    name = match.group(first_group) or match.group(first_group + 1)
    return _DAY_NAMES[name.lower()[:3] if name.isascii() else name]


def _days_of(text: str) -> tuple[frozenset[int], bool]:
    """The weekdays named in the text (all if none), and whether it says 工作日 (working days)."""
    if _WORKING_DAYS.search(text):
        return ALL_DAYS, True
    days: set[int] = set()
    for match in _DAY_RANGE.finditer(text):
        first, last = _day_index(match, 1), _day_index(match, 3)
        days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    remainder = _DAY_RANGE.sub(" ", text)
    days.update(_day_index(match, 1) for match in _ONE_DAY.finditer(remainder))
    return (frozenset(days) if days else ALL_DAYS), False


def _spans_of(text: str) -> tuple[tuple[time, time], ...]:
    spans = []
    for h1, m1, h2, m2 in _TIME_RANGE.findall(text):
        start_h, end_h, start_m, end_m = int(h1), int(h2), int(m1 or 0), int(m2 or 0)
        if start_h > 23 or end_h > 24 or start_m > 59 or end_m > 59:
            continue
        start = time(start_h, start_m)
        end = time(23, 59, 59) if end_h == 24 else time(end_h, end_m)
        if start < end:
            spans.append((start, end))
    return tuple(spans)


def parse_office_hours(text: str | None) -> OfficeHours | None:
    """Read office hours from free text; None means "always open" (empty, 24 h, or unreadable)."""
    if not text or _ALWAYS.search(text):
        return None
    spans = _spans_of(text)
    if not spans:
        return None
    days, working_days = _days_of(_TIME_RANGE.sub(" ", text))
    return OfficeHours(days, spans, working_days)


def held_until(
    office_hours: str | None, now: datetime, *, tz: ZoneInfo, calendar: WorkCalendar
) -> datetime | None:
    """When a non-urgent message to a worker with these hours should be delivered (UTC), or None for now."""
    hours = parse_office_hours(office_hours)
    if hours is None:
        return None
    local = now.astimezone(tz)
    opening = hours.next_opening(local, calendar)
    if opening is None or opening == local:
        return None
    return opening.astimezone(UTC)
