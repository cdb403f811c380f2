"""Answer parsers, choice lists and steps that several forms share.

Every typed answer is checked here and re-asked with a clear reason: empty, too long, not a date,
a date in the future, too long ago or before the programme started, a number out of range.
The date step lives in handlers.dialogs.dates and is re-exported here with the other steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from handlers.context import Ctx
from handlers.dialogs.dates import occurred_at as occurred_at
from handlers.dialogs.dates import when_step as when_step
from handlers.dialogs.engine import Choice, Invalid, Step
from models.access import Action
from models.people import CLOSED_STATUSES
from models.record_dates import parse_day as parse_day
from models.services.caseload import PersonLine, caseload
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
    """The caller's open cases (delegations included) as choices, labelled by code and name.

    A closed case (解除, deceased, moved out) is read-only: no form offers it."""
    return [
        Choice(str(p.id), f"{p.code} {p.name}", literal=True)
        for p in _open(ctx.call(caseload, ctx.identity, now=ctx.now, today=ctx.today))
    ]


def _open(people: list[PersonLine]) -> list[PersonLine]:
    return [p for p in people if p.status not in CLOSED_STATUSES]


def pick_person(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    """A typed name, pinyin initials or code instead of a button: exactly one match is taken."""
    term = clean(text)[:SEARCH_MAX]
    if not term:
        raise Invalid("dialog/invalid_empty")
    found = _open(ctx.call(caseload, ctx.identity, now=ctx.now, today=ctx.today, search=term))
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
