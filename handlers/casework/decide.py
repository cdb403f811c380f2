"""Asking and deciding a proposed case change: `cd:<change>:y|n` (cadre, police, supervisor) and
`ct:<change>:y|n` (the receiving grid's worker accepts or returns a transfer). The first decision
counts; a second press is told it was already decided. The proposer is told either way; on a
discharge the linked, consented family is told; on a transfer the replaced team members are told.
"""

from __future__ import annotations

from handlers.callbacks import CardOpen, CaseDecision, TransferDecision
from handlers.context import Ctx
from models.casework import CaseChangeKind
from models.services.case_life import Decided, Proposed, decide

K = CaseChangeKind


def ask_confirmers(ctx: Ctx, proposed: Proposed) -> None:
    """Notify whoever is asked (失联: alerted, urgent) and tell the proposer who was and wasn't reached."""
    change = proposed.change
    kind = TransferDecision if change.kind is K.transfer else CaseDecision
    yes, no = (
        ("cc_btn_accept", "cc_btn_return")
        if change.kind is K.transfer
        else ("cc_btn_confirm", "cc_btn_refuse")
    )
    for r in proposed.asked.reached:
        ctx.notify(
            r.chat_id,
            "case/asked",
            purpose="alert" if change.kind is K.lost_contact else "case",
            dedupe_key=f"case-ask:{change.id}:{r.worker_id}",
            buttons=[
                [(yes, kind(change.id, "y").pack()), (no, kind(change.id, "n").pack())],
                [("rp_btn_card", CardOpen(change.person_id).pack())],
            ],
            urgent=change.kind is K.lost_contact,
            c=change,
        )
    ctx.reply("case/proposed", c=change, asked=proposed.asked)


def on_decide(ctx: Ctx, data: CaseDecision | TransferDecision) -> None:
    """`cd|ct:<change>:y|n`: confirm (accept) or refuse (return)."""
    yes = data.verdict == "y"
    decided = ctx.call(decide, ctx.identity, data.change_id, yes, now=ctx.now, today=ctx.today)
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
    _tell(ctx, decided)


def _tell(ctx: Ctx, decided: Decided) -> None:
    change = decided.change
    assert change is not None
    card = [[("rp_btn_card", CardOpen(change.person_id).pack())]]
    if decided.proposer_chat is not None and decided.proposer_chat != ctx.incoming.user_id:
        ctx.notify(
            decided.proposer_chat,
            "case/told",
            purpose="case",
            dedupe_key=f"case-told:{change.id}",
            buttons=card,
            c=change,
            outcome=decided.outcome,
        )
    for chat in set(decided.moved_from) - {decided.proposer_chat}:  # the proposer was told above
        ctx.notify(
            chat, "case/moved_away", purpose="case", dedupe_key=f"case-moved:{change.id}:{chat}", c=change
        )
    for chat in decided.family_chats:
        ctx.notify(
            chat, "case/family_discharged", purpose="family", dedupe_key=f"case-family:{change.id}:{chat}"
        )
