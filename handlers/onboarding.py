"""Onboarding and the commands every user has: /start <code>, /help, /whoami, /lang, /cancel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from handlers.callbacks import CallbackData, Language
from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from handlers.events import Button
from handlers.family.consent import ask_consent
from handlers.menus import set_menu
from handlers.render import LOCALES
from handlers.reports.alerts_rerouted import deliver_rerouted
from handlers.router import Router
from models.access import Action, Principal
from models.audit import audit
from models.services.conversations import load_dialog
from models.services.directory.invites import Offer, Redeemed, inspect_invite, redeem
from models.services.identity import (
    Identity,
    code_attempt_blocked,
    record_code_attempt,
    resolve,
    set_locale,
)
from models.services.profile import whoami

CODE_MAX = 64


@dataclass(frozen=True)
class SwitchAnswerV1(CallbackData, prefix="iv"):
    """The answer to "link this account to someone else?", asked when a linked account opens an invite.

    Confirm carries the code the account sent and who the account was when asked: pressed by
    anyone else, or after the account changed, it is stale. Cancel carries nothing. Two shapes
    in one kind, so it packs and parses by hand.
    """

    _CONFIRM: ClassVar[re.Pattern[str]] = re.compile(r"y:([wf][0-9]{1,18}):([A-Za-z0-9_-]{1,40})")

    confirm: bool
    holder: str = ""  # "w12": worker 12, "f7": family member 7
    code: str = ""

    def pack(self) -> str:
        return f"{self.PREFIX}:y:{self.holder}:{self.code}" if self.confirm else f"{self.PREFIX}:n"

    @classmethod
    def parse(cls, payload: str) -> SwitchAnswerV1 | None:
        """The answer in a payload (after `iv:`), or None for anything else."""
        if payload == "n":
            return cls(False)
        match = cls._CONFIRM.fullmatch(payload)
        return cls(True, match[1], match[2]) if match else None


def holder_of(identity: Identity) -> str | None:
    """The short name of the identity an account holds now (None: unlinked)."""
    if identity.worker_id is not None:
        return f"w{identity.worker_id}"
    if identity.family_member_id is not None:
        return f"f{identity.family_member_id}"
    return None


def cmd_start(ctx: Ctx, arg: str) -> None:
    """`/start` alone greets; `/start <code>` (the invite deep link) links the account.

    An account already linked is asked first: opening someone else's invite link must not quietly
    turn a worker into a family member (or the reverse).
    """
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
    holder = holder_of(ctx.identity)
    if holder is not None and len(code) <= CODE_MAX:
        offer = ctx.call(inspect_invite, code, now=ctx.now)
        if offer is not None and offer.worker_active and not offer.keeps(ctx.identity.worker_id):
            _ask_first(ctx, SwitchAnswerV1(True, holder, code), offer)
            return
    _link(ctx, code)


def _ask_first(ctx: Ctx, confirm: SwitchAnswerV1, offer: Offer) -> None:
    """Say what the account is and what the invite would make it; change nothing until confirmed."""
    cancel = SwitchAnswerV1(False)
    buttons = (
        (ctx.button("onb_switch_confirm", confirm.pack()), ctx.button("onb_switch_cancel", cancel.pack())),
    )
    ctx.reply(
        "onboarding/switch_confirm", buttons, who=ctx.identity.principal.value, becomes=offer.becomes.value
    )


def on_switch(ctx: Ctx, answer: SwitchAnswerV1 | None) -> None:
    """The answer to the question of cmd_start (None: data that did not parse): re-checked here,
    nothing trusted from the button."""
    if answer is None or (answer.confirm and answer.holder != holder_of(ctx.identity)):
        detail = "invite switch confirmation not offered to this account"
        ctx.call(audit, ctx.identity.actor, "refused", "invite", None, at=ctx.now, detail=detail)
        ctx.answer("dialog/stale")
        return
    ctx.answer()
    if not answer.confirm:
        _say(ctx, "onboarding/switch_kept", who=ctx.identity.principal.value)
        return
    if ctx.call(code_attempt_blocked, ctx.chat_id, now=ctx.now):
        _say(ctx, "onboarding/slow_down")
        return
    before = ctx.identity
    if _link(ctx, answer.code):
        detail = f"confirmed: {before.principal.value} -> {ctx.identity.principal.value}"
        ctx.call(audit, before.actor, "switch", "invite", None, at=ctx.now, detail=detail)


def _link(ctx: Ctx, code: str) -> bool:
    """Redeem the code for the caller's account and answer; whether it linked."""
    result = ctx.call(redeem, code, ctx.incoming.user_id, now=ctx.now) if len(code) <= CODE_MAX else None
    if result is None or result.outcome is Redeemed.invalid:
        ctx.call(record_code_attempt, ctx.chat_id, ok=False, now=ctx.now)
        _say(ctx, "onboarding/bad_code")
        return False
    if result.outcome is Redeemed.inactive_worker:
        ctx.call(record_code_attempt, ctx.chat_id, ok=False, now=ctx.now)  # linked nothing: no reset
        _say(ctx, "onboarding/worker_inactive")
        return False
    ctx.call(record_code_attempt, ctx.chat_id, ok=True, now=ctx.now)
    who = ctx.call(resolve, ctx.incoming.user_id)
    ctx.identity = who
    _say(ctx, "onboarding/linked", who=who.principal.value, profile=ctx.call(whoami, who, now=ctx.now))
    set_menu(ctx, who.principal)
    if result.outcome is Redeemed.linked_worker:
        deliver_rerouted(ctx)
    elif not who.consented:  # a relative reads the privacy notice and agrees before anything else
        ask_consent(ctx)  # a role an alert found nobody for may be reachable now
    return True


def _say(ctx: Ctx, template: str, **view: Any) -> None:
    """A button's answer replaces the question (its buttons, which carry the code, go with it)."""
    if ctx.incoming.callback_id is not None and ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, template, **view)
    else:
        ctx.reply(template, **view)


def cmd_help(ctx: Ctx, _arg: str) -> None:
    ctx.reply("help", who=ctx.identity.principal.value, commands=ctx.menu(ctx.identity.principal))


def cmd_whoami(ctx: Ctx, _arg: str) -> None:
    ctx.reply("whoami", who=ctx.identity.principal.value, profile=ctx.call(whoami, ctx.identity, now=ctx.now))


def cmd_lang(ctx: Ctx, _arg: str) -> None:
    buttons = (
        tuple(Button(ctx.renderer.label(loc, "language_name"), Language(loc).pack()) for loc in LOCALES),
    )
    ctx.reply("lang/choose", buttons)


def on_lang(ctx: Ctx, data: Language) -> None:
    payload = data.locale
    if payload not in LOCALES:
        ctx.answer("dialog/stale")
        return
    ctx.call(set_locale, ctx.chat_id, payload, now=ctx.now)
    ctx.locale = payload
    ctx.answer()
    if ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, "lang/changed")
    set_menu(ctx, ctx.identity.principal)


def cmd_cancel(ctx: Ctx, _arg: str) -> None:
    """/cancel: the form being filled in goes (the drafts set aside stay)."""
    ctx.dialogs.cancel(ctx, ctx.call(load_dialog, ctx.chat_id))


def register(router: Router, engine: Engine) -> None:
    """The commands every user has."""
    router.command("/start", Action.onboard, cmd_start, menu=(Principal.unlinked,))
    router.command("/whoami", Action.whoami, cmd_whoami)
    router.command("/lang", Action.language, cmd_lang)
    router.command("/help", Action.help, cmd_help)
    router.command("/cancel", Action.cancel, cmd_cancel, menu=False)
    router.button(Language, Action.language, on_lang)
    router.button(SwitchAnswerV1, Action.onboard, on_switch, junk=lambda ctx: on_switch(ctx, None))
