"""Command arguments: the one place where the text after `/command` becomes numbers, days, months,
period words and search terms.

Every parser here returns None (or an empty term) for what it does not take and never raises, so a
command answers its own usage or bad-date text instead of the apology. Numbers are ASCII digits of
bounded length (`99999999999999999999` is refused by its length, not by an OverflowError deep in
`date()`; fullwidth and Arabic-Indic digits, which `str.isdigit` accepts, are refused), and days lie
between MIN_YEAR and today. A term (a code or a name to look up) loses control, format and bidi
characters (NUL included, which PostgreSQL refuses in any string), is NFC-normalised, its spaces
collapsed, and is cut to a bounded length before it reaches a query.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

MIN_YEAR = 2000  # nothing in Gridcare happened before; older dates are typing slips
TERM_MAX = 40  # a person's code or name as typed after a command
YESTERDAY = ("yesterday", "昨天", "昨日")


def number(text: str, *, digits: int = 9) -> int | None:
    """A non-negative number of at most `digits` ASCII digits, else None."""
    text = text.strip()
    if not text or len(text) > digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def calendar_day(year: int, month: int, day: int) -> date | None:
    """The date, if it exists and its year is between MIN_YEAR and 9999; else None."""
    if not MIN_YEAR <= year <= 9999:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def term(text: str, limit: int = TERM_MAX) -> str:
    """A code or name to look up: printable characters only (newlines become spaces), NFC, single
    spaces, at most `limit` characters; "" if nothing is left."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(ch if ch.isprintable() else " " if ch.isspace() else "" for ch in text)
    return " ".join(kept.split())[:limit].strip()


def words(text: str, limit: int = 5) -> list[str] | None:
    """The argument's words (as terms), or None if there are more than `limit`."""
    split = term(text, limit=200).split()
    return split if len(split) <= limit else None


def _normalised(text: str) -> str:
    return term(text, limit=32).lower().replace("/", "-").replace(".", "-")


def parse_day(arg: str, today: date) -> date | None:
    """`2026-03-04`, `20260304`, `3-4` (this year), `yesterday`/`昨天` or nothing (today); no future,
    nothing before MIN_YEAR."""
    text = _normalised(arg)
    if not text:
        return today
    if text in YESTERDAY:
        return today - timedelta(days=1)
    day: date | None = None
    if len(text) == 8 and number(text, digits=8) is not None:
        day = calendar_day(int(text[:4]), int(text[4:6]), int(text[6:]))
    elif text.count("-") in (1, 2):
        numbers = [number(part, digits=4) for part in text.split("-")]
        if None in numbers:
            return None
        values = [n for n in numbers if n is not None]
        day = calendar_day(today.year, *values) if len(values) == 2 else calendar_day(*values)
    return day if day is not None and day <= today else None


def parse_month(arg: str, today: date) -> tuple[date, date] | None:
    """`2026-03`, `2026-3`, `2026年3月`, `202603` or nothing (this month) → (first day, last day up
    to today) of the month; no future, nothing before MIN_YEAR."""
    text = term(arg, limit=32).replace("/", "-").replace("年", "-").removesuffix("月")
    if not text:
        return today.replace(day=1), today
    if "-" in text:
        year_text, _, month_text = text.partition("-")
        year, month = number(year_text, digits=4), number(month_text, digits=2)
    elif len(text) == 6:
        year, month = number(text[:4], digits=4), number(text[4:], digits=2)
    else:
        return None
    first = calendar_day(year, month, 1) if year is not None and month is not None else None
    if first is None or first > today:
        return None
    end = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, min(end, today)
