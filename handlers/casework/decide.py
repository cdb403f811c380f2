"""Asking and deciding a proposed case change: `cd:<change>:y|n` (cadre, police, supervisor) and
`ct:<change>:y|n` (the receiving grid's worker accepts or returns a transfer). The first decision
counts; a second press is told it was already decided. The proposer is told either way; on a
discharge the linked, consented family is told; on a transfer the replaced team members are told
(models.services.casework.notices).
"""

from __future__ import annotations

from handlers.callbacks import CardOpen, CaseDecision, TransferDecision
from handlers.context import Ctx
from models.services.casework.notices import settle_change


def on_decide(ctx: Ctx, data: CaseDecision | TransferDecision) -> None:
    """`cd|ct:<change>:y|n`: confirm (accept) or refuse (return)."""
    yes = data.verdict == "y"
    decided = ctx.call(
        settle_change,
        ctx,
        ctx.identity,
        data.change_id,
        yes,
        caller_chat=ctx.incoming.user_id,
        now=ctx.now,
        today=ctx.today,
    )
    if decided.outcome == "not_allowed" or decided.change is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    if decided.outcome in ("already", "outdated"):
        ctx.answer(f"case/{decided.outcome}", alert=True)
        return
    ctx.answer()
    if ctx.incoming.message_id is not None:
        card = ((ctx.button("rp_btn_card", CardOpen(decided.change.person_id).pack()),),)
        ctx.edit(ctx.incoming.message_id, "case/decided", card, c=decided.change, outcome=decided.outcome)
