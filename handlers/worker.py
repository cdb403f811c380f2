"""What a worker does outside forms: the caseload list and starting a report."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from handlers.dialogs.note import NOTE
from handlers.router import Router
from models.access import Action
from models.services.caseload import caseload


def cmd_my(ctx: Ctx, arg: str) -> None:
    """我的对象: the people in my care, most at risk first."""
    people = ctx.call(caseload, ctx.identity, now=ctx.now, search=arg or None)
    ctx.reply("worker/caseload", people=people, search=arg)


def register(router: Router, engine: Engine) -> None:
    """A worker's commands outside the report forms."""

    def cmd_note(ctx: Ctx, _arg: str) -> None:
        engine.start(ctx, "note", {})

    engine.add(NOTE)
    router.command("/my", Action.view_caseload, cmd_my)
    router.command("/note", Action.write_record, cmd_note)
