"""Builds the router with every command, button and form: the handlers' one wiring point."""

from __future__ import annotations

from handlers import onboarding, worker
from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from handlers.dialogs.note import NOTE
from handlers.router import Router
from models.access import Action
from models.services.conversations import load_dialog


def build_router() -> Router:
    """A fresh router (tests build one each)."""
    engine = Engine([NOTE])
    router = Router(engine)

    def cmd_cancel(ctx: Ctx, _arg: str) -> None:
        engine.cancel(ctx, ctx.call(load_dialog, ctx.chat_id))

    router.command("/start", Action.onboard, onboarding.cmd_start)
    router.command("/help", Action.help, onboarding.cmd_help)
    router.command("/whoami", Action.whoami, onboarding.cmd_whoami)
    router.command("/lang", Action.language, onboarding.cmd_lang)
    router.command("/cancel", Action.cancel, cmd_cancel)
    router.button("lang", Action.language, onboarding.on_lang)
    router.command("/my", Action.view_caseload, worker.cmd_my)
    router.command("/note", Action.write_record, worker.start_note(engine))
    return router
