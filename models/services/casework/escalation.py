"""失联 nobody confirmed: after the urgent-alert deadline (Policy.alert_ack_timeout), the nearest
supervisors are told, once per report, the way a family's urgent call nobody took escalates.

The escalation is recorded as an alert of kind `lost_contact_escalated` for the report (one per
report: `record_alert` is keyed on kind and source), which is also what makes it happen once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.alerts import AlertLog
from models.audit import Actor, audit
from models.casework import CaseChange, CaseChangeKind
from models.people import Person
from models.services.alerts.routing import ESCALATION_ROLES, Routing, record_alert, route

LOST_CONTACT_ESCALATED = "lost_contact_escalated"


@dataclass(frozen=True)
class LostContactEscalation:
    change_id: int
    person_id: int
    code: str
    reported_at: datetime
    routing: Routing


def escalate_lost_contact(
    session: Session, *, now: datetime, timeout: timedelta
) -> list[LostContactEscalation]:
    """Every 失联 report still undecided after `timeout`, not escalated before: routed to supervisors."""
    escalated = select(AlertLog.source_id).where(AlertLog.kind == LOST_CONTACT_ESCALATED)
    due = session.execute(
        select(CaseChange.id, CaseChange.person_id, CaseChange.proposed_at, Person.code)
        .join(Person, Person.id == CaseChange.person_id)
        .where(
            CaseChange.kind == CaseChangeKind.lost_contact,
            CaseChange.decided_at.is_(None),
            CaseChange.proposed_at <= now - timeout,
            CaseChange.id.not_in(escalated),
        )
        .order_by(CaseChange.id)
    ).all()
    found = []
    for change_id, person_id, reported_at, code in due:
        routing = route(session, person_id, ESCALATION_ROLES)
        record_alert(session, LOST_CONTACT_ESCALATED, change_id, person_id, routing, now=now)
        audit(session, Actor.system(), "escalate", "case_change", change_id, at=now, person_id=person_id)
        found.append(LostContactEscalation(change_id, person_id, code, reported_at, routing))
    return found
