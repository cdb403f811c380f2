"""What a worker does outside forms: the caseload list and starting a report."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from models.services.caseload import caseload


def cmd_my(ctx: Ctx, arg: str) -> None:
    """我的对象: the people in my care, most at risk first."""
    people = ctx.call(caseload, ctx.identity, now=ctx.now, search=arg or None)
    ctx.reply("worker/caseload", people=people, search=arg)


def start_note(engine: Engine):  # type: ignore[no-untyped-def]
    def cmd_note(ctx: Ctx, _arg: str) -> None:
        engine.start(ctx, "note", {})

    return cmd_note
