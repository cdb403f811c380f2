"""The date step every record form shares: when it happened (models.record_dates has the rules).

Today is the first button and yesterday the second; the other days of the locality's window
(30 by default) page a week at a time in place (◀ earlier / later ▶); a typed date is taken with
the same limits. A form whose routine path asks no date saves today's and offers, on its confirm
screen, a button to change it (Dialog.revisit): one tap more only when it was another day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from handlers.context import Ctx
from handlers.dialogs.engine import PAGE, Choice, Invalid, Step, page_choice
from models.record_dates import Window, moment_of, parse_day, previous_period_start, window
from models.services.caseload import person_line

DayOf = Callable[[Ctx, dict[str, Any]], date | None]


def _programme_start(ctx: Ctx, data: dict[str, Any]) -> date | None:
    line = ctx.call(person_line, int(data["person"]))
    return line.programme_start if line else None


def record_window(
    ctx: Ctx, data: dict[str, Any], *, floor: DayOf | None = None, reach: DayOf | None = None
) -> Window:
    """The days this form's record may be dated, for the chosen person."""
    floors = [_programme_start(ctx, data), floor(ctx, data) if floor else None]
    back = reach(ctx, data) if reach else None
    return window(ctx.today, ctx.policy.record_window_days, floors=floors, reach_back_to=back)


def previous_period(obligation_of: Callable[[dict[str, Any]], Any]) -> DayOf:
    """`reach` for an assessment: back to the start of the previous period of its obligation's rules."""

    def reach(ctx: Ctx, data: dict[str, Any]) -> date | None:
        obligation = obligation_of(data)
        if obligation is None:
            return None
        return previous_period_start(ctx.policy.rules.for_obligation(obligation), ctx.today)

    return reach


def _day_label(ctx: Ctx, day: date) -> Choice:
    back = (ctx.today - day).days
    if back == 0:
        return Choice(day.isoformat(), "rp_today")
    if back == 1:
        return Choice(day.isoformat(), "rp_yesterday")
    return Choice(day.isoformat(), ctx.plain("reports/day_choice", day=day), literal=True)


def day_choices(
    floor: DayOf | None = None, reach: DayOf | None = None
) -> Callable[[Ctx, dict[str, Any]], list[Choice]]:
    """The choices of the date step: a week of days (today first), then the page buttons."""

    def choices(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
        found = record_window(ctx, data, floor=floor, reach=reach)
        page = min(int(data.get(PAGE, 0)), found.pages - 1)
        shown = [_day_label(ctx, day) for day in found.page(page)]
        if page + 1 < found.pages:
            shown.append(page_choice(page + 1, "rp_day_earlier"))
        if page > 0:
            shown.append(page_choice(page - 1, "rp_day_later"))
        return shown

    return choices


def day_parser(
    floor: DayOf | None = None,
    reach: DayOf | None = None,
    *,
    before_floor: str = "reports/invalid_before_start",
) -> Callable[[Ctx, dict[str, Any], str], str]:
    """A typed date for the date step, with the buttons' limits (and the reason when refused)."""

    def parse(ctx: Ctx, data: dict[str, Any], text: str) -> str:
        day = parse_day(text, ctx.today)
        if day is None:
            raise Invalid("reports/invalid_date")
        found = record_window(ctx, data, floor=floor, reach=reach)
        why = found.refusal(day)
        if why == "future":
            raise Invalid("reports/invalid_future")
        if why == "before_start":
            raise Invalid(before_floor, start=found.floor)
        if why == "too_old":
            raise Invalid("reports/invalid_too_old", days=found.days, earliest=found.earliest)
        return day.isoformat()

    return parse


def when_step(
    prompt: str = "reports/when",
    *,
    when: Callable[[dict[str, Any]], bool] | None = None,
    floor: DayOf | None = None,
    reach: DayOf | None = None,
    before_floor: str = "reports/invalid_before_start",
) -> Step:
    """The date step, named `when` (its answer an ISO date): see the module docstring."""
    return Step(
        "when",
        prompt,
        choices=day_choices(floor, reach),
        parse=day_parser(floor, reach, before_floor=before_floor),
        columns=2,
        when=when,
    )


def occurred_at(ctx: Ctx, iso_day: str | None) -> datetime:
    """When it happened: now for today (or no day chosen), else noon (local) of the chosen day."""
    day = date.fromisoformat(iso_day) if iso_day else ctx.today
    return moment_of(day, today=ctx.today, now=ctx.now, tz=ctx.policy.tz)
