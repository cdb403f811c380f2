"""Alerts that leave the reporter's chat at once: a positive, refused or missed test, or relapse signs
seen on a visit, go to the cadre and police officer of the care team and the nearest supervisors.

They go through the outbox (urgent: any hour), once per record and recipient, and name the person
by code only, so a locked phone's preview shows no name; the button opens the card, which is
checked and audited like any other.
"""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from models.services.caseload import alert_recipients, person_line
from models.services.reporting import RecordRef


def alert_staff(ctx: Ctx, person_id: int, record_id: int, template: str, **view: Any) -> int:
    """Tell the care team's cadre and police and the nearest supervisors; returns how many."""
    line = ctx.call(person_line, person_id)
    if line is None:
        return 0
    recipients = ctx.call(alert_recipients, person_id, exclude=ctx.identity.worker_id)
    for recipient in recipients:
        ctx.notify(
            recipient.chat_id,
            template,
            purpose="alert",
            dedupe_key=f"report-alert:{record_id}:{recipient.worker_id}",
            buttons=[[("rp_btn_card", f"p:{person_id}")]],
            urgent=True,
            code=line.code,
            at=ctx.now,
            **view,
        )
    return len(recipients)


def retract_alert(ctx: Ctx, ref: RecordRef, *, corrected: bool) -> None:
    """The alerted record was voided or corrected: tell the same people, so nobody acts on it blindly."""
    line = ctx.call(person_line, ref.person_id)
    if line is None:
        return
    for recipient in ctx.call(alert_recipients, ref.person_id, exclude=ctx.identity.worker_id):
        ctx.notify(
            recipient.chat_id,
            "reports/alert_retracted",
            purpose="alert",
            dedupe_key=f"report-retract:{ref.id}:{recipient.worker_id}",
            buttons=[[("rp_btn_card", f"p:{ref.person_id}")]],
            urgent=True,
            code=line.code,
            kind=str(ref.kind),
            corrected=corrected,
        )
