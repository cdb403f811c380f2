"""已受理: a police officer who received an anonymous tip takes it up (`tu:<tip>`).

The first press records it (once), tells the tipster only that the police have taken up their
information (nothing about the tip or its subject; a tipster who has unlinked is not written to)
and lets the other officers who got the tip know who took it (models.services.family.notices); a
later press says it was taken up.
"""

from __future__ import annotations

from handlers.callbacks import TipTakeUp
from handlers.context import Ctx
from handlers.router import Router, not_allowed
from models.access import Action
from models.services.family.notices import take_up


def on_take_up(ctx: Ctx, data: TipTakeUp) -> None:
    """`tu:<tip>`: take the tip up."""
    taken = None
    if ctx.keys is not None:
        taken = ctx.call(take_up, ctx, ctx.identity, data.tip_id, keys=ctx.keys, now=ctx.now)
    if taken is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    if not taken.first:
        ctx.answer("family/tip_taken_already", alert=True, tip_id=taken.tip_id, by_name=taken.by)
        return
    ctx.reply("family/tip_taken_done", tip_id=taken.tip_id, tipster_told=taken.tipster_chat is not None)
    ctx.answer()


def register(router: Router) -> None:
    router.button(TipTakeUp, Action.take_up_tip, on_take_up, junk=not_allowed)
