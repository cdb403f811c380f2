"""Alerts that leave the reporter's chat at once: a positive, refused or missed test, relapse signs seen
on a visit, a second 未见到本人 in a row; and their retraction when the record is voided or corrected.

They go to the cadre, the police officer and the supervisor nearest the person who have linked an
account (models.services.alerts.routing), through the outbox (urgent: any hour), once per record and
recipient, and name the person by code only, so a locked phone's preview shows no name; the button
opens the card, which is checked and audited like any other. Every alert is recorded with the roles
nobody could be found for; the confirm screen promises the same routing (`route`, same arguments).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.buttons import CardOpen
from models.people import Role
from models.records import NOT_MET
from models.services.alerts.routing import LOST_CONTACT_ROLES, TEST_ROLES, Routing, record_alert, route
from models.services.caseload import person_line
from models.services.notify import Notifier
from models.services.reporting.records import RecordRef


def alert_staff(
    session: Session,
    notifier: Notifier,
    *,
    sender: int | None,
    person_id: int,
    record_id: int,
    kind: str,
    template: str,
    now: datetime,
    roles: Sequence[Role] = TEST_ROLES,
    **view: Any,
) -> Routing:
    """Tell the nearest linked staff of these roles (the sender aside), and record the alert as routed."""
    routing = route(session, person_id, roles, exclude=sender)
    line = person_line(session, person_id)
    if line is None:
        return routing
    for recipient in routing.reached:
        notifier.notify(
            recipient.chat_id,
            template,
            purpose="alert",
            dedupe_key=f"report-alert:{record_id}:{recipient.worker_id}",
            buttons=[[("rp_btn_card", CardOpen(person_id).pack())]],
            urgent=True,
            code=line.code,
            at=now,
            **view,
        )
    record_alert(session, kind, record_id, person_id, routing, now=now)
    return routing


def retract_alert(
    session: Session, notifier: Notifier, ref: RecordRef, *, sender: int | None, corrected: bool
) -> None:
    """The alerted record was voided or corrected: tell the same people, so nobody acts on it blindly."""
    line = person_line(session, ref.person_id)
    if line is None:
        return
    roles = LOST_CONTACT_ROLES if ref.result == NOT_MET else TEST_ROLES  # those the alert went to
    for recipient in route(session, ref.person_id, roles, exclude=sender).reached:
        notifier.notify(
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
