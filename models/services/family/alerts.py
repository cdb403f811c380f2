"""Urgent alerts (紧急情况) from a family: signs of relapse, contact with drug users, danger.

An alert goes at once, at any hour, to the responsible worker, the community cadre and the police
officer of the care team. The first to answer it (a claim, a reply or a call:
models.services.family.answers) owns it; if nobody does within the policy's timeout, the area
supervisor is alerted too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.family import Direction, FamilyMessage, UrgentAlert
from models.people import Role
from models.services.alerts.routing import (
    ESCALATION_ROLES,
    URGENT_ROLES,
    Reached,
    Routing,
    record_alert,
    route,
)
from models.services.family.channel import handling_worker, person_name, relation_of
from models.services.identity import Identity
from models.services.sql import changed_rows

OPEN_ALERT_WINDOW = timedelta(hours=24)  # a second alert within this joins the open one
URGENT, URGENT_ESCALATED = "urgent", "urgent_escalated"  # their kinds in the alert log


@dataclass(frozen=True)
class Responder:
    """A staff member an alert reaches (linked: models.services.alerts.routing finds no one else)."""

    worker_id: int
    chat_id: int | None
    name: str
    role: str
    on_team: bool = True  # False: reached as the community's cadre or police, not on the care team


def _responder(reached: Reached) -> Responder:
    return Responder(reached.worker_id, reached.chat_id, reached.name, str(reached.role), reached.on_team)


def urgent_routing(session: Session, person_id: int, *, today: date) -> Routing:
    """Whom an urgent alert reaches: the worker answering the family today, the cadre and the police
    officer, each the nearest linked one (models.services.alerts.routing); the confirm screen says so."""
    worker, _ = handling_worker(session, person_id, today=today)
    return route(session, person_id, URGENT_ROLES, preferred={Role.grid_worker: worker})


def responders(session: Session, person_id: int, *, today: date) -> list[Responder]:
    """Who an urgent alert reaches (linked staff only): see `urgent_routing`."""
    return [_responder(r) for r in urgent_routing(session, person_id, today=today).reached]


def supervisors_of(session: Session, person_id: int) -> list[Responder]:
    """The linked supervisors of the nearest area above the person (their own area first) that has any."""
    return [_responder(r) for r in route(session, person_id, ESCALATION_ROLES).reached]


@dataclass(frozen=True)
class AlertRaised:
    alert_id: int
    person_id: int
    person_name: str
    relation: str
    description: str | None
    responders: tuple[Responder, ...]
    unreached: tuple[Role, ...]  # roles nobody linked could be found for (the family is told)
    joined_open: bool  # an earlier alert was still open: this is more news for the same staff
    message_id: int  # the alert as a message of the family thread, for the "reply" button


def raise_alert(
    session: Session, who: Identity, description: str | None, *, now: datetime, today: date
) -> AlertRaised | None:
    """A family member raises the alarm; an alert still open (unacknowledged) is reused."""
    if who.family_member_id is None or who.person_id is None:
        return None
    open_alert = session.scalars(
        select(UrgentAlert)
        .where(
            UrgentAlert.family_member_id == who.family_member_id,
            UrgentAlert.acknowledged_at.is_(None),
            UrgentAlert.created_at > now - OPEN_ALERT_WINDOW,
        )
        .order_by(UrgentAlert.id.desc())
    ).first()
    alert = open_alert or UrgentAlert(
        person_id=who.person_id,
        family_member_id=who.family_member_id,
        description=description,
        created_at=now,
    )
    if open_alert is None:
        session.add(alert)
        session.flush()
    # Kept in the family thread too, so the staff can answer it there ("reply") and it counts as
    # waiting for an answer like any family message.
    worker, _ = handling_worker(session, who.person_id, today=today)
    message = FamilyMessage(
        family_member_id=who.family_member_id,
        person_id=who.person_id,
        worker_id=worker.id if worker else None,
        direction=Direction.from_family,
        kind="urgent",
        text=description,
        created_at=now,
    )
    session.add(message)
    session.flush()
    audit(
        session,
        who.actor,
        "update" if open_alert else "create",
        "urgent_alert",
        alert.id,
        at=now,
        person_id=who.person_id,
    )
    routing = urgent_routing(session, who.person_id, today=today)
    record_alert(session, URGENT, alert.id, who.person_id, routing, now=now)
    return AlertRaised(
        alert.id,
        who.person_id,
        person_name(session, who.person_id),
        relation_of(session, who.family_member_id),
        description,
        tuple(_responder(r) for r in routing.reached),
        routing.unreached,
        joined_open=open_alert is not None,
        message_id=message.id,
    )


@dataclass(frozen=True)
class Escalation:
    alert_id: int
    person_id: int
    person_name: str
    relation: str
    description: str | None
    created_at: datetime
    supervisors: tuple[Responder, ...]


def escalate_alert(session: Session, alert_id: int, *, now: datetime) -> Escalation | None:
    """Claim one open alert for escalation (None if taken or escalated meanwhile) and name its supervisors."""
    # Atomic: of a second scheduler process and an acknowledgment a moment ago, only one wins.
    claimed = changed_rows(
        session,
        update(UrgentAlert)
        .where(
            UrgentAlert.id == alert_id,
            UrgentAlert.acknowledged_at.is_(None),
            UrgentAlert.escalated_at.is_(None),
        )
        .values(escalated_at=now)
        .execution_options(synchronize_session=False),
    )
    alert = session.get(UrgentAlert, alert_id)
    if claimed != 1 or alert is None:
        return None
    session.refresh(alert)
    audit(session, Actor.system(), "escalate", "urgent_alert", alert_id, at=now, person_id=alert.person_id)
    routing = route(session, alert.person_id, ESCALATION_ROLES)
    record_alert(session, URGENT_ESCALATED, alert_id, alert.person_id, routing, now=now)
    return Escalation(
        alert_id,
        alert.person_id,
        person_name(session, alert.person_id),
        relation_of(session, alert.family_member_id),
        alert.description,
        alert.created_at,
        tuple(_responder(r) for r in routing.reached),
    )


def escalate_due(session: Session, *, now: datetime, timeout: timedelta) -> list[Escalation]:
    """Escalate every alert nobody took within the timeout, once each."""
    due = session.scalars(
        select(UrgentAlert.id)
        .where(
            UrgentAlert.acknowledged_at.is_(None),
            UrgentAlert.escalated_at.is_(None),
            UrgentAlert.created_at <= now - timeout,
        )
        .order_by(UrgentAlert.id)
    ).all()
    escalated = (escalate_alert(session, alert_id, now=now) for alert_id in due)
    return [item for item in escalated if item is not None]
