"""Answer parsers, choice lists and steps that several forms share.

Every typed answer is checked here and re-asked with a clear reason: empty, too long, not a date,
a date in the future, too long ago or before the programme started, a number out of range.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from handlers.context import Ctx
from handlers.dialogs.engine import Choice, Invalid, Step
from models.access import Action
from models.services.caseload import caseload, person_line
from models.services.reporting import BACKFILL_DAYS
from models.services.rights import may

FREE_TEXT_MAX = 2000
NOTES_MAX = 1000
SEARCH_MAX = 30

Parser = Callable[[Ctx, dict[str, Any], str], Any]


def clean(text: str) -> str:
    """Control characters removed (newlines kept), surrounding space stripped."""
    return "".join(ch for ch in text if ch.isprintable() or ch == "\n").strip()


def free_text(max_len: int = FREE_TEXT_MAX) -> Parser:
    """A parser for a free-text answer: not empty, not too long, control characters removed."""

    def parse(ctx: Ctx, data: dict[str, Any], text: str) -> str:
        cleaned = clean(text)
        if not cleaned:
            raise Invalid("dialog/invalid_empty")
        if len(cleaned) > max_len:
            raise Invalid("dialog/invalid_too_long", limit=max_len, length=len(cleaned))
        return cleaned

    return parse


def options(prefix: str, values: Iterable[str]) -> tuple[Choice, ...]:
    """Choices whose labels are the label keys `<prefix><value>`."""
    return tuple(Choice(str(v), f"{prefix}{v}") for v in values)


# -- the person ---------------------------------------------------------------------------------


def my_people(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    """The caller's caseload (delegations included) as choices, labelled by code and name."""
    return [
        Choice(str(p.id), f"{p.code} {p.name}", literal=True)
        for p in ctx.call(caseload, ctx.identity, now=ctx.now, today=ctx.today)
    ]


def pick_person(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    """A typed name, pinyin initials or code instead of a button: exactly one match is taken."""
    term = clean(text)[:SEARCH_MAX]
    if not term:
        raise Invalid("dialog/invalid_empty")
    found = ctx.call(caseload, ctx.identity, now=ctx.now, today=ctx.today, search=term)
    if not found:
        raise Invalid("reports/person_none", term=term)
    exact = [p for p in found if p.code.upper() == term.upper() or p.name == term]
    if len(found) > 1 and len(exact) != 1:
        raise Invalid("reports/person_ambiguous", term=term, people=found[:5], count=len(found))
    return str((exact or found)[0].id)


def person_step() -> Step:
    """The first step of every report, skipped when the form starts from the person's card."""
    return Step(
        "person",
        "reports/choose_person",
        choices=my_people,
        parse=pick_person,
        columns=1,
        when=lambda data: "person" not in data,
    )


def may_write_for(ctx: Ctx, data: dict[str, Any]) -> bool:
    """Re-checked when a form is saved: the person must still be in the caller's care."""
    return ctx.call(may, ctx.identity, Action.write_record, int(data["person"]), now=ctx.now, today=ctx.today)


# -- when it happened ---------------------------------------------------------------------------


def _programme_start(ctx: Ctx, data: dict[str, Any]) -> date | None:
    line = ctx.call(person_line, int(data["person"]))
    return line.programme_start if line else None


def when_choices(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    """Today, yesterday and the days before, back to the backfill limit or the programme start."""
    start = _programme_start(ctx, data)
    found = []
    for back in range(BACKFILL_DAYS):
        day = ctx.today - timedelta(days=back)
        if start is not None and day < start:
            break
        if back == 0:
            found.append(Choice(day.isoformat(), "rp_today"))
        elif back == 1:
            found.append(Choice(day.isoformat(), "rp_yesterday"))
        else:
            found.append(Choice(day.isoformat(), ctx.plain("reports/day_choice", day=day), literal=True))
    return found


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
    cleaned = clean(text).lower().replace(" ", "")
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


def parse_when(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    """A typed date for the `when` step, with the same limits as the buttons."""
    day = parse_day(text, ctx.today)
    if day is None:
        raise Invalid("reports/invalid_date")
    if day > ctx.today:
        raise Invalid("reports/invalid_future")
    if (ctx.today - day).days >= BACKFILL_DAYS:
        raise Invalid("reports/invalid_too_old", days=BACKFILL_DAYS)
    start = _programme_start(ctx, data)
    if start is not None and day < start:
        raise Invalid("reports/invalid_before_start", start=start)
    return day.isoformat()


def when_step(prompt: str = "reports/when", *, when: Callable[[dict[str, Any]], bool] | None = None) -> Step:
    return Step("when", prompt, choices=when_choices, parse=parse_when, columns=2, when=when)


def occurred_at(ctx: Ctx, iso_day: str | None) -> datetime:
    """When it happened: now for today, else noon (local) of the chosen day."""
    if not iso_day or iso_day == ctx.today.isoformat():
        return ctx.now
    return datetime.combine(date.fromisoformat(iso_day), time(12), tzinfo=ctx.policy.tz)


# -- numbers, notes, photos ---------------------------------------------------------------------


def score(low: int = 0, high: int = 100) -> Parser:
    """A whole number in [low, high]; full-width digits accepted."""

    def parse(ctx: Ctx, data: dict[str, Any], text: str) -> int:
        cleaned = clean(text).replace("分", "").strip()
        if not cleaned:
            raise Invalid("dialog/invalid_empty")
        try:
            value = int(cleaned)
        except ValueError:
            raise Invalid("reports/invalid_score", low=low, high=high) from None
        if not low <= value <= high:
            raise Invalid("reports/invalid_score", low=low, high=high)
        return value

    return parse


def notes_step(
    prompt: str = "reports/notes", *, when: Callable[[dict[str, Any]], bool] | None = None
) -> Step:
    return Step("notes", prompt, parse=free_text(NOTES_MAX), skippable=True, when=when)


def photo_step(
    prompt: str = "reports/photo", *, when: Callable[[dict[str, Any]], bool] | None = None
) -> Step:
    return Step("photo", prompt, photo=True, skippable=True, when=when)
