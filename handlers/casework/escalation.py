"""Job: a 失联 report nobody confirmed within the urgent-alert deadline goes to the nearest supervisors
(models.services.case_escalation), with the confirm buttons (a supervisor may decide it)."""

from __future__ import annotations

from handlers.callbacks import CardOpen, CaseDecision
from handlers.context import JobCtx
from models.services.case_escalation import escalate_lost_contact


def escalate_lost_contacts(jctx: JobCtx) -> int:
    """Every minute, with the family alerts' escalation; how many reports were escalated."""
    escalations = jctx.call(escalate_lost_contact, now=jctx.now, timeout=jctx.policy.alert_ack_timeout)
    for item in escalations:
        for supervisor in item.routing.reached:
            jctx.notify(
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
                minutes=int((jctx.now - item.reported_at).total_seconds() // 60),
            )
    return len(escalations)
