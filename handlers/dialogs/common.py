"""Answer parsers and choice lists that several forms share."""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.dialogs.engine import Choice, Invalid
from models.access import Action
from models.services.caseload import caseload
from models.services.rights import may

FREE_TEXT_MAX = 2000


def free_text(max_len: int = FREE_TEXT_MAX):  # type: ignore[no-untyped-def]
    """A parser for a free-text answer: not empty, not too long, control characters removed."""

    def parse(ctx: Ctx, data: dict[str, Any], text: str) -> str:
        cleaned = "".join(ch for ch in text if ch.isprintable() or ch == "\n").strip()
        if not cleaned:
            raise Invalid("dialog/invalid_empty")
        if len(cleaned) > max_len:
            raise Invalid("dialog/invalid_too_long", limit=max_len, length=len(cleaned))
        return cleaned

    return parse


def my_people(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    """The caller's caseload as choices, labelled by code and name."""
    return [
        Choice(str(p.id), f"{p.code} {p.name}", literal=True)
        for p in ctx.call(caseload, ctx.identity, now=ctx.now)
    ]


def may_write_for(ctx: Ctx, data: dict[str, Any]) -> bool:
    """Re-checked when a form is saved: the person must still be in the caller's care."""
    return ctx.call(may, ctx.identity, Action.write_record, int(data["person"]), now=ctx.now)
