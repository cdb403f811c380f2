"""The family channel's privacy notice: shown on linking, and again until the relative agrees (同意).

A family member who has not agreed may read the notice, change the language, ask for help or leave
(/stop); every other family feature answers with the notice and its button.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from handlers.callbacks import CallbackData
from handlers.context import Ctx
from handlers.menus import set_menu
from handlers.router import Router
from models.access import Action, Principal
from models.services.family.consent import record_consent

# What an unconsented relative may still do: read, choose a language, get help, agree or leave.
BEFORE_CONSENT = frozenset(
    {
        Action.onboard,
        Action.help,
        Action.language,
        Action.cancel,
        Action.whoami,
        Action.family_stop,
        Action.forget,
    }
)


@dataclass(frozen=True)
class ConsentV1(CallbackData, prefix="fc"):
    """The 同意 button under the privacy notice (`fc:yes`); it carries nothing but its own kind."""

    answer: Literal["yes"] = "yes"


def ask_consent(ctx: Ctx) -> None:
    """The privacy notice with its 同意 button."""
    ctx.reply("family/consent_notice", ((ctx.button("fam_consent", ConsentV1().pack()),),))


def consent_gate(ctx: Ctx, action: Action | None) -> bool:
    """Whether the update may go on: a family member who has not agreed gets the notice instead."""
    if ctx.identity.principal is not Principal.family or ctx.identity.consented:
        return True
    if action is not None and action in BEFORE_CONSENT:
        return True
    if ctx.incoming.callback_id is not None:
        ctx.answer()
    ask_consent(ctx)
    return False


def on_consent(ctx: Ctx, _data: ConsentV1) -> None:
    """同意: the consent is recorded with its date and audited; the family features open."""
    ctx.answer()
    if not ctx.call(record_consent, ctx.identity, now=ctx.now):
        ctx.reply("errors/not_allowed")
        return
    if ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, "family/consent_given")
    else:
        ctx.reply("family/consent_given")
    set_menu(ctx, Principal.family)


def register(router: Router) -> None:
    """The 同意 button and the gate that holds the family features until it is pressed."""
    # Agreeing is the last step of joining: the onboarding right (the service checks for a relative).
    router.button(ConsentV1, Action.onboard, on_consent)
    router.gate(consent_gate)
