"""A supervisor or the case's police officer decides on a suggested colour (buttons `cp:<id>:y|n`)."""

from __future__ import annotations

from handlers.callbacks import ColourDecision
from handlers.context import Ctx
from models.services.reporting.colour import Decision
from models.services.reporting.colour_decision import decision_view, settle_colour


def on_colour(ctx: Ctx, data: ColourDecision) -> None:
    """Confirm (`y`) or reject (`n`) a colour proposal; the first decision counts (the proposer is
    told by models.services.reporting.colour_decision)."""
    decided = ctx.call(
        settle_colour,
        ctx,
        ctx.identity,
        data.proposal_id,
        data.verdict == "y",
        caller_chat=ctx.incoming.user_id,
        now=ctx.now,
        today=ctx.today,
    )
    if decided.outcome is Decision.not_allowed or decided.proposal is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    if decided.outcome is Decision.already:
        ctx.answer("reports/colour_already", alert=True)
        return
    ctx.answer()
    if ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, "reports/colour_decided", **decision_view(decided))
