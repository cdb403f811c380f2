"""Alerts that reached nobody of some role go, late but not never, to whoever of it can now be found.

Run when a worker links an account (the usual reason a role becomes reachable). Each goes once per
alert and recipient, urgent, naming the person by code only, with the card (and for a family's
urgent call, "I am handling it").
"""

from __future__ import annotations

from handlers.callbacks import AlertAck, CardOpen
from handlers.context import Work
from models.services.alerts_unrouted import reroute
from models.services.family_alerts import URGENT, URGENT_ESCALATED


def deliver_rerouted(work: Work) -> int:
    """Route the unrouted alerts again and tell whoever is reached now; how many messages."""
    sent = 0
    for item in work.call(reroute, now=work.now):
        alert = item.alert
        buttons = [[("rp_btn_card", CardOpen(alert.person_id).pack())]]
        if alert.kind in (URGENT, URGENT_ESCALATED):
            buttons[0].insert(0, ("fam_ack", AlertAck(alert.source_id).pack()))
        for recipient in item.reached:
            work.notify(
                recipient.chat_id,
                "alerts/rerouted",
                purpose="alert",
                dedupe_key=f"alert-rerouted:{alert.id}:{recipient.worker_id}",
                buttons=buttons,
                urgent=True,
                code=alert.person_code,
                kind=alert.kind,
                role=str(recipient.role),
                at=alert.created_at,
            )
            sent += 1
    return sent
