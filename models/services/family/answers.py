"""Answering an urgent alert (紧急情况): a claim, a reply relayed to the family or a logged call.

Every path goes through `mark_answered`: the first answer owns the alert, which stops its
escalation, tells the other staff and the family who took it, and counts in the digests and
/workers (they read `acknowledged_at` / `acknowledged_by`). A later answer changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.access import Action
from models.audit import audit
from models.family import UrgentAlert
from models.people import FamilyMember, Worker
from models.services.family.alerts import Responder, responders, supervisors_of
from models.services.family.channel import person_name
from models.services.identity import Identity
from models.services.rights import may
from models.services.sql import changed_rows


class AnswerHow(StrEnum):
    """How an urgent alert was answered: any of them counts, the first one wins."""

    claim = "claim"  # "I am handling it"
    reply = "reply"  # a reply relayed to the family (from /inbox, the alert or the thread)
    call = "call"  # a phone call logged against the alert


@dataclass(frozen=True)
class Answered:
    """The outcome of answering an alert, by any path."""

    alert_id: int
    taken: bool  # True: the caller answered it now; False: someone had already
    by_name: str
    by_role: str
    person_name: str
    others: tuple[Responder, ...]  # to tell that it is taken (only when taken now)
    family_chat_id: int | None  # to tell who took it (only when taken now and still linked)


def mark_answered(
    session: Session, who: Identity, alert: UrgentAlert, how: AnswerHow, *, now: datetime, today: date
) -> Answered:
    """Record that `who` answered the alert (the one door for a claim, a reply or a call).

    Atomic and idempotent: the first answer owns the alert and stops its escalation; a later one
    changes nothing and tells nobody (`taken` is False). The caller has checked the right.
    """
    assert who.worker_id is not None
    claimed = changed_rows(
        session,
        update(UrgentAlert)
        .where(UrgentAlert.id == alert.id, UrgentAlert.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by=who.worker_id)
        .execution_options(synchronize_session=False),
    )
    session.refresh(alert)
    owner = session.get(Worker, alert.acknowledged_by)
    assert owner is not None
    name = person_name(session, alert.person_id)
    if claimed != 1:
        return Answered(alert.id, False, owner.name, str(owner.role), name, (), None)
    audit(
        session,
        who.actor,
        "acknowledge",
        "urgent_alert",
        alert.id,
        at=now,
        person_id=alert.person_id,
        detail=how,
    )
    reached = _reached_by(session, alert, today=today)
    others = tuple({r.worker_id: r for r in reached if r.worker_id != who.worker_id}.values())
    member = session.get(FamilyMember, alert.family_member_id)  # they may have left the channel since
    family_chat = member.telegram_user_id if member is not None and member.active else None
    return Answered(alert.id, True, owner.name, str(owner.role), name, others, family_chat)


def _reached_by(session: Session, alert: UrgentAlert, *, today: date) -> list[Responder]:
    reached = responders(session, alert.person_id, today=today)
    if alert.escalated_at is not None:
        reached += supervisors_of(session, alert.person_id)
    return reached


def answer_alert(
    session: Session, who: Identity, alert_id: int, how: AnswerHow, *, now: datetime, today: date
) -> Answered | None:
    """Answer an alert by its id (a claim, a call); None if the caller may not (nothing revealed)."""
    alert = session.get(UrgentAlert, alert_id)
    if alert is None:
        audit(session, who.actor, "refused", "urgent_alert", alert_id, at=now, detail="not found")
        return None
    if who.worker_id is None:
        return None
    # Whoever the alert reached may take it (a community officer off the care team included);
    # anyone else needs the right over the person.
    reached = _reached_by(session, alert, today=today)
    if who.worker_id not in {r.worker_id for r in reached} and not may(
        session, who, Action.acknowledge_alert, alert.person_id, now=now
    ):
        return None
    return mark_answered(session, who, alert, how, now=now, today=today)


def acknowledge(
    session: Session, who: Identity, alert_id: int, *, now: datetime, today: date
) -> Answered | None:
    """Claim an alert ("I am handling it"); only the first answer wins."""
    return answer_alert(session, who, alert_id, AnswerHow.claim, now=now, today=today)


def answer_by_reply(
    session: Session, who: Identity, family_member_id: int, *, now: datetime, today: date
) -> tuple[Answered, ...]:
    """A reply relayed to a family answers their open alerts too (the caller checked the right)."""
    open_alerts = session.scalars(
        select(UrgentAlert)
        .where(
            UrgentAlert.family_member_id == family_member_id,
            UrgentAlert.acknowledged_at.is_(None),
            UrgentAlert.created_at <= now,
        )
        .order_by(UrgentAlert.id)
    ).all()
    return tuple(
        mark_answered(session, who, alert, AnswerHow.reply, now=now, today=today) for alert in open_alerts
    )
