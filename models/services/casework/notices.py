"""A case's life told: who is asked to confirm a proposed change (失联: alerted, urgent), who learns
the decision, and the supervisors a 失联 report nobody confirmed in time goes to.

Each message's dedupe key is built here; handlers.casework only shows the caller what happened.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from models.buttons import CardOpen, CaseDecision, TransferDecision
from models.casework import CaseChangeKind
from models.services.casework.escalation import escalate_lost_contact
from models.services.casework.life import Decided, Proposed, decide, propose
from models.services.identity import Identity
from models.services.notify import Notifier

K = CaseChangeKind


def propose_change(
    session: Session,
    notifier: Notifier,
    who: Identity,
    person_id: int,
    kind: CaseChangeKind,
    *,
    effective_on: date,
    reason: str,
    now: datetime,
    today: date,
    expected_release: date | None = None,
    to_area_id: int | None = None,
) -> Proposed | None:
    """File a proposal (models.services.casework.life.propose; None: not possible) and ask whoever
    confirms it, each with the confirm and refuse buttons (a transfer: accept and return)."""
    proposed = propose(
        session,
        who,
        person_id,
        kind,
        effective_on=effective_on,
        reason=reason,
        now=now,
        today=today,
        expected_release=expected_release,
        to_area_id=to_area_id,
    )
    if proposed is None:
        return None
    change = proposed.change
    button = TransferDecision if change.kind is K.transfer else CaseDecision
    yes, no = (
        ("cc_btn_accept", "cc_btn_return")
        if change.kind is K.transfer
        else ("cc_btn_confirm", "cc_btn_refuse")
    )
    for r in proposed.asked.reached:
        notifier.notify(
            r.chat_id,
            "case/asked",
            purpose="alert" if change.kind is K.lost_contact else "case",
            dedupe_key=f"case-ask:{change.id}:{r.worker_id}",
            buttons=[
                [(yes, button(change.id, "y").pack()), (no, button(change.id, "n").pack())],
                [("rp_btn_card", CardOpen(change.person_id).pack())],
            ],
            urgent=change.kind is K.lost_contact,
            c=change,
        )
    return proposed


def settle_change(
    session: Session,
    notifier: Notifier,
    who: Identity,
    change_id: int,
    accept: bool,
    *,
    caller_chat: int | None,
    now: datetime,
    today: date,
) -> Decided:
    """Confirm or refuse (models.services.casework.life.decide: the first decision counts) and tell the
    proposer (unless they decided it: `caller_chat`), the replaced team members of a transfer, and
    the linked, consented family of a discharge."""
    decided = decide(session, who, change_id, accept, now=now, today=today)
    change = decided.change
    if decided.outcome in ("not_allowed", "already", "outdated") or change is None:
        return decided
    card = [[("rp_btn_card", CardOpen(change.person_id).pack())]]
    if decided.proposer_chat is not None and decided.proposer_chat != caller_chat:
        notifier.notify(
            decided.proposer_chat,
            "case/told",
            purpose="case",
            dedupe_key=f"case-told:{change.id}",
            buttons=card,
            c=change,
            outcome=decided.outcome,
        )
    for chat in set(decided.moved_from) - {decided.proposer_chat}:  # the proposer was told above
        notifier.notify(
            chat, "case/moved_away", purpose="case", dedupe_key=f"case-moved:{change.id}:{chat}", c=change
        )
    for chat in decided.family_chats:
        notifier.notify(
            chat, "case/family_discharged", purpose="family", dedupe_key=f"case-family:{change.id}:{chat}"
        )
    return decided


def escalate_lost_contacts(session: Session, notifier: Notifier, *, now: datetime, timeout: timedelta) -> int:
    """A 失联 report nobody confirmed within `timeout` goes to the nearest supervisors, with the
    confirm buttons (a supervisor may decide it); how many reports were escalated."""
    escalations = escalate_lost_contact(session, now=now, timeout=timeout)
    for item in escalations:
        for supervisor in item.routing.reached:
            notifier.notify(
                supervisor.chat_id,
                "case/lost_contact_escalated",
                purpose="alert_escalated",
                dedupe_key=f"lost-contact-escalated:{item.change_id}:{supervisor.worker_id}",
                buttons=[
                    [
                        ("cc_btn_confirm", CaseDecision(item.change_id, "y").pack()),
                        ("cc_btn_refuse", CaseDecision(item.change_id, "n").pack()),
                    ],
                    [("rp_btn_card", CardOpen(item.person_id).pack())],
                ],
                urgent=True,
                code=item.code,
                at=item.reported_at,
                minutes=int((now - item.reported_at).total_seconds() // 60),
            )
    return len(escalations)
