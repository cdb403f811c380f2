"""Onboarding and the commands every user has: /start <code>, /help, /whoami, /lang, /cancel."""

from __future__ import annotations

from handlers.alerts_rerouted import deliver_rerouted
from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from handlers.events import Button
from handlers.menus import set_menu
from handlers.render import LOCALES
from handlers.router import Router
from models.access import Action, Principal
from models.services.conversations import load_dialog
from models.services.identity import code_attempt_blocked, record_code_attempt, resolve, set_locale
from models.services.invites import Redeemed, redeem
from models.services.profile import whoami

CODE_MAX = 64


def cmd_start(ctx: Ctx, arg: str) -> None:
    """`/start` alone greets; `/start <code>` (the invite deep link) links the account."""
    if not arg:
        if ctx.identity.principal is Principal.unlinked:
            ctx.reply("onboarding/unlinked")
        else:
            ctx.reply("onboarding/welcome_back", who=ctx.identity.principal.value)
            set_menu(ctx, ctx.identity.principal)
        return
    if ctx.call(code_attempt_blocked, ctx.chat_id, now=ctx.now):
        ctx.reply("onboarding/slow_down")
        return
    code = arg.strip()
    result = ctx.call(redeem, code, ctx.incoming.user_id, now=ctx.now) if len(code) <= CODE_MAX else None
    if result is None or result.outcome is Redeemed.invalid:
        ctx.call(record_code_attempt, ctx.chat_id, ok=False, now=ctx.now)
        ctx.reply("onboarding/bad_code")
        return
    if result.outcome is Redeemed.inactive_worker:
        ctx.call(record_code_attempt, ctx.chat_id, ok=False, now=ctx.now)  # linked nothing: no reset
        ctx.reply("onboarding/worker_inactive")
        return
    ctx.call(record_code_attempt, ctx.chat_id, ok=True, now=ctx.now)
    who = ctx.call(resolve, ctx.incoming.user_id)
    ctx.identity = who
    ctx.reply("onboarding/linked", who=who.principal.value, profile=ctx.call(whoami, who, now=ctx.now))
    set_menu(ctx, who.principal)
    if result.outcome is Redeemed.linked_worker:
        deliver_rerouted(ctx)  # a role an alert found nobody for may be reachable now


def cmd_help(ctx: Ctx, _arg: str) -> None:
    ctx.reply("help", who=ctx.identity.principal.value, commands=ctx.menu(ctx.identity.principal))


def cmd_whoami(ctx: Ctx, _arg: str) -> None:
    ctx.reply("whoami", who=ctx.identity.principal.value, profile=ctx.call(whoami, ctx.identity, now=ctx.now))


def cmd_lang(ctx: Ctx, _arg: str) -> None:
    buttons = (tuple(Button(ctx.renderer.label(loc, "language_name"), f"lang:{loc}") for loc in LOCALES),)
    ctx.reply("lang/choose", buttons)


def on_lang(ctx: Ctx, payload: str) -> None:
    if payload not in LOCALES:
        ctx.answer("dialog/stale")
        return
    ctx.call(set_locale, ctx.chat_id, payload, now=ctx.now)
    ctx.locale = payload
    ctx.answer()
    if ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, "lang/changed")
    set_menu(ctx, ctx.identity.principal)


def register(router: Router, engine: Engine) -> None:
    """The commands every user has."""

    def cmd_cancel(ctx: Ctx, _arg: str) -> None:
        engine.cancel(ctx, ctx.call(load_dialog, ctx.chat_id))

    router.command("/start", Action.onboard, cmd_start, menu=(Principal.unlinked,))
    router.command("/whoami", Action.whoami, cmd_whoami)
    router.command("/lang", Action.language, cmd_lang)
    router.command("/help", Action.help, cmd_help)
    router.command("/cancel", Action.cancel, cmd_cancel, menu=False)
    router.button("lang", Action.language, on_lang)
