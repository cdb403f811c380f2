"""Alerts that leave the reporter's chat at once: a positive, refused or missed test, or relapse signs
seen on a visit, go to the cadre, the police officer and the supervisor nearest the person who have
linked an account (models.services.alert_routing).

They go through the outbox (urgent: any hour), once per record and recipient, and name the person
by code only, so a locked phone's preview shows no name; the button opens the card, which is
checked and audited like any other. Every alert is recorded with the roles nobody could be found
for, and the same routing names the recipients on the confirm screen before saving.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.callbacks import CardOpen
from handlers.context import Ctx
from models.people import Role
from models.records import NOT_MET
from models.services.alert_routing import LOST_CONTACT_ROLES, TEST_ROLES, Routing, record_alert, route
from models.services.caseload import person_line
from models.services.reporting import RecordRef


def alert_routing(ctx: Ctx, person_id: int, roles: Sequence[Role] = TEST_ROLES) -> Routing:
    """Who a report's alert about this person reaches if the caller saves it now (the confirm screen)."""
    return ctx.call(route, person_id, roles, exclude=ctx.identity.worker_id)


def alert_staff(
    ctx: Ctx,
    person_id: int,
    record_id: int,
    kind: str,
    template: str,
    *,
    roles: Sequence[Role] = TEST_ROLES,
    **view: Any,
) -> Routing:
    """Tell the nearest linked staff of these roles (by default cadre, police officer and supervisor),
    and record the alert as routed."""
    routing = alert_routing(ctx, person_id, roles)
    line = ctx.call(person_line, person_id)
    if line is None:
        return routing
    for recipient in routing.reached:
        ctx.notify(
            recipient.chat_id,
            template,
            purpose="alert",
            dedupe_key=f"report-alert:{record_id}:{recipient.worker_id}",
            buttons=[[("rp_btn_card", CardOpen(person_id).pack())]],
            urgent=True,
            code=line.code,
            at=ctx.now,
            **view,
        )
    ctx.call(record_alert, kind, record_id, person_id, routing, now=ctx.now)
    return routing


def retract_alert(ctx: Ctx, ref: RecordRef, *, corrected: bool) -> None:
    """The alerted record was voided or corrected: tell the same people, so nobody acts on it blindly."""
    line = ctx.call(person_line, ref.person_id)
    if line is None:
        return
    roles = LOST_CONTACT_ROLES if ref.result == NOT_MET else TEST_ROLES  # those the alert went to
    for recipient in alert_routing(ctx, ref.person_id, roles).reached:
        ctx.notify(
            recipient.chat_id,
            "reports/alert_retracted",
            purpose="alert",
            dedupe_key=f"report-retract:{ref.id}:{recipient.worker_id}",
            buttons=[[("rp_btn_card", CardOpen(ref.person_id).pack())]],
            urgent=True,
            code=line.code,
            kind=str(ref.kind),
            corrected=corrected,
        )
