"""A supervisor or the case's police officer decides on a suggested colour (buttons `cp:<id>:y|n`)."""

from __future__ import annotations

from typing import Any

from handlers.callbacks import CardOpen, ColourDecision
from handlers.context import Ctx
from models.services.colour import Decision, decide_colour


def on_colour(ctx: Ctx, data: ColourDecision) -> None:
    """Confirm (`y`) or reject (`n`) a colour proposal; the first decision counts."""
    decided = ctx.call(
        decide_colour, ctx.identity, data.proposal_id, data.verdict == "y", now=ctx.now, today=ctx.today
    )
    if decided.outcome is Decision.not_allowed or decided.proposal is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    proposal = decided.proposal
    view: dict[str, Any] = {  # template variables
        "code": proposal.person_code,
        "current": str(proposal.current),
        "proposed": str(proposal.proposed),
        "outcome": str(decided.outcome),
    }
    if decided.outcome is Decision.already:
        ctx.answer("reports/colour_already", alert=True)
        return
    ctx.answer()
    if ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, "reports/colour_decided", **view)
    if decided.proposer_chat is not None and decided.proposer_chat != ctx.incoming.user_id:
        ctx.notify(
            decided.proposer_chat,
            "reports/colour_told",
            purpose="colour",
            dedupe_key=f"colour-decided:{proposal.id}",
            buttons=[[("rp_btn_card", CardOpen(proposal.person_id).pack())]],
            **view,
        )
