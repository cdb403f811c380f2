"""Alerts some role of which nobody could take (未送达的报警), until someone can.

They are listed for the supervisors above (the digest) and the administrator (`gridcare alerts
--unrouted`), by person code only; when someone of a missing role links an account, `reroute`
finds them, so the alert reaches them late rather than never.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.alerts import AlertLog
from models.areas import Area, within
from models.audit import Actor, audit
from models.buttons import AlertAck, CardOpen
from models.people import Person, Role
from models.services.alerts.routing import Reached, route
from models.services.family.alerts import URGENT, URGENT_ESCALATED
from models.services.notify import Notifier


@dataclass(frozen=True)
class UnroutedAlert:
    """One alert with roles nobody could be found for: named by person code, never by name."""

    id: int
    kind: str
    source_id: int  # the record or urgent alert it is about
    person_id: int
    person_code: str
    area_code: str
    area_name: str
    created_at: datetime
    roles: tuple[Role, ...]


def _roles(unrouted: str) -> tuple[Role, ...]:
    return tuple(Role(r) for r in unrouted.split(",") if r)


def unrouted_alerts(session: Session, *, area_path: str | None = None) -> list[UnroutedAlert]:
    """The alerts still missing a role, oldest first; within the subtree at `area_path` if given."""
    query = (
        select(
            AlertLog.id,
            AlertLog.kind,
            AlertLog.source_id,
            AlertLog.person_id,
            Person.code,
            Area.code,
            Area.name,
            AlertLog.created_at,
            AlertLog.unrouted,
        )
        .join(Person, Person.id == AlertLog.person_id)
        .join(Area, Area.id == AlertLog.area_id)
        .where(AlertLog.unrouted != "")
        .order_by(AlertLog.created_at, AlertLog.id)
    )
    if area_path is not None:
        query = query.where(within(Area.path, area_path))
    return [UnroutedAlert(*row[:8], _roles(row[8])) for row in session.execute(query)]


def listed_for(session: Session, actor: Actor, *, now: datetime) -> list[UnroutedAlert]:
    """`unrouted_alerts` everywhere, for an administrator: the read of person codes is audited."""
    found = unrouted_alerts(session)
    audit(session, actor, "list", "unrouted_alerts", None, at=now, detail=f"n={len(found)}")
    return found


@dataclass(frozen=True)
class Rerouted:
    """An unrouted alert that now reaches someone of a role it was missing."""

    alert: UnroutedAlert
    reached: tuple[Reached, ...]


def reroute(session: Session, *, now: datetime) -> list[Rerouted]:
    """Route every unrouted alert's missing roles again; record and return who is reached now."""
    found = []
    for alert in unrouted_alerts(session):
        routing = route(session, alert.person_id, alert.roles)
        if not routing.reached:
            continue
        entry = session.get(AlertLog, alert.id)
        assert entry is not None
        entry.unrouted = ",".join(str(r) for r in routing.unreached)
        entry.notified += len(routing.reached)
        if routing.complete:
            entry.routed_at = now
        audit(session, Actor.system(), "reroute", "alert", alert.id, at=now, person_id=alert.person_id)
        found.append(Rerouted(alert, routing.reached))
    session.flush()
    return found


def deliver_rerouted(session: Session, notifier: Notifier, *, now: datetime) -> int:
    """Route the unrouted alerts again and tell whoever is reached now, once per alert and recipient,
    urgent, naming the person by code only, with the card (and for a family's urgent call, "I am
    handling it"); how many messages. Run when a worker links an account, and before the digest."""
    sent = 0
    for item in reroute(session, now=now):
        alert = item.alert
        buttons = [[("rp_btn_card", CardOpen(alert.person_id).pack())]]
        if alert.kind in (URGENT, URGENT_ESCALATED):
            buttons[0].insert(0, ("fam_ack", AlertAck(alert.source_id).pack()))
        for recipient in item.reached:
            notifier.notify(
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
