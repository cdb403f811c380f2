"""Job: a 失联 report nobody confirmed within the urgent-alert deadline goes to the nearest supervisors
(models.services.casework.notices), with the confirm buttons (a supervisor may decide it)."""

from __future__ import annotations

from handlers.context import JobCtx
from models.services.casework.notices import escalate_lost_contacts as escalate


def escalate_lost_contacts(jctx: JobCtx) -> int:
    """Every minute, with the family alerts' escalation; how many reports were escalated."""
    return jctx.call(escalate, jctx, now=jctx.now, timeout=jctx.policy.alert_ack_timeout)
