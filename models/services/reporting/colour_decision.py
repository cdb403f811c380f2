"""A supervisor or the case's police officer decides on a suggested colour, and the proposer is told."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from models.buttons import CardOpen
from models.services.identity import Identity
from models.services.notify import Notifier
from models.services.reporting.colour import Decided, Decision, decide_colour


def decision_view(decided: Decided) -> dict[str, Any]:
    """What the decider's message and the proposer's notice show of a decided proposal."""
    proposal = decided.proposal
    assert proposal is not None
    return {
        "code": proposal.person_code,
        "current": str(proposal.current),
        "proposed": str(proposal.proposed),
        "outcome": str(decided.outcome),
    }


def settle_colour(
    session: Session,
    notifier: Notifier,
    who: Identity,
    proposal_id: int,
    accept: bool,
    *,
    caller_chat: int | None,
    now: datetime,
    today: date | None = None,
) -> Decided:
    """Confirm or reject (models.services.reporting.colour.decide_colour: the first decision counts)
    and tell the worker who proposed it, unless they decided it themselves (`caller_chat`)."""
    decided = decide_colour(session, who, proposal_id, accept, now=now, today=today)
    proposal = decided.proposal
    if decided.outcome in (Decision.not_allowed, Decision.already) or proposal is None:
        return decided
    if decided.proposer_chat is not None and decided.proposer_chat != caller_chat:
        notifier.notify(
            decided.proposer_chat,
            "reports/colour_told",
            purpose="colour",
            dedupe_key=f"colour-decided:{proposal.id}",
            buttons=[[("rp_btn_card", CardOpen(proposal.person_id).pack())]],
            **decision_view(decided),
        )
    return decided
