"""紧急情况 told: a family's urgent call reaches worker, cadre and police at once (any hour, each with
"I am handling it"); nobody taking it in time, or nobody reachable, brings in the area supervisors;
the first answer is told to the others and to the family.

Each message's dedupe key is built here; handlers.family.forms and .family_staff only show the
caller what happened, and the escalation job (handlers.family.staff.escalate_alerts) runs one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from models.buttons import AlertAck, AlertCalled, ReplyToFamily
from models.services.family.alerts import AlertRaised, Escalation, escalate_alert, escalate_due, raise_alert
from models.services.family.answers import Answered, AnswerHow, answer_alert
from models.services.identity import Identity
from models.services.notify import Notifier


@dataclass(frozen=True)
class UrgentSent:
    """The alert raised (None: not allowed) and how many staff it reached."""

    alert: AlertRaised | None
    reached: int = 0


def send_urgent(
    session: Session,
    notifier: Notifier,
    who: Identity,
    description: str | None,
    *,
    form_key: str,
    now: datetime,
    today: date,
) -> UrgentSent:
    """Raise the family's alert and reach the responders; reaching nobody escalates at once (waiting
    out the time-out helps no one). `form_key` names the form run: a second alert while one is open
    is news for the same staff, under new keys."""
    alert = raise_alert(session, who, description, now=now, today=today)
    if alert is None:
        return UrgentSent(None)
    suffix = f":{form_key}" if alert.joined_open else ""
    reached = 0
    reply = [("fam_reply", ReplyToFamily(alert.message_id).pack())]  # the care team only
    called = [("fam_called", AlertCalled(alert.alert_id).pack())]  # a call answers like a claim
    for responder in alert.responders:
        if responder.chat_id is None:
            continue
        reached += 1
        notifier.notify(
            responder.chat_id,
            "family/urgent_more" if alert.joined_open else "family/urgent_alert",
            purpose="urgent_alert",
            dedupe_key=f"alert:{alert.alert_id}:{responder.worker_id}{suffix}",
            buttons=[[("fam_ack", AlertAck(alert.alert_id).pack())] + reply * responder.on_team, called],
            urgent=True,
            alert_id=alert.alert_id,
            person_name=alert.person_name,
            relation=alert.relation,
            description=alert.description,
            at=now,
        )
    if reached == 0 and not alert.joined_open:
        escalation = escalate_alert(session, alert.alert_id, now=now)
        reached = tell_escalation(session, notifier, escalation, now=now) if escalation is not None else 0
    return UrgentSent(alert, reached)


def tell_escalation(session: Session, notifier: Notifier, item: Escalation, *, now: datetime) -> int:
    """Alert the area supervisors of an urgent alert nobody took; how many were reachable."""
    reached = 0
    for supervisor in item.supervisors:
        if supervisor.chat_id is None:
            continue
        reached += 1
        notifier.notify(
            supervisor.chat_id,
            "family/urgent_escalated",
            purpose="alert_escalated",
            dedupe_key=f"alert_escalated:{item.alert_id}:{supervisor.worker_id}",
            buttons=[
                [("fam_ack", AlertAck(item.alert_id).pack())],
                [("fam_called", AlertCalled(item.alert_id).pack())],
            ],
            urgent=True,
            alert_id=item.alert_id,
            person_name=item.person_name,
            relation=item.relation,
            description=item.description,
            at=item.created_at,
            minutes=int((now - item.created_at).total_seconds() // 60),
        )
    return reached


def escalate_alerts(session: Session, notifier: Notifier, *, now: datetime, timeout: timedelta) -> int:
    """Alerts nobody took within `timeout` go to the area supervisors; how many were escalated."""
    escalations = escalate_due(session, now=now, timeout=timeout)
    for item in escalations:
        tell_escalation(session, notifier, item, now=now)
    return len(escalations)


def answer_urgent(
    session: Session,
    notifier: Notifier,
    who: Identity,
    alert_id: int,
    how: AnswerHow,
    *,
    now: datetime,
    today: date,
) -> Answered | None:
    """Take the alert ("I am handling it", or a call logged against it): the first answer wins, and
    the others and the family are told (models.services.family.answers.answer_alert)."""
    answered = answer_alert(session, who, alert_id, how, now=now, today=today)
    if answered is not None:
        tell_answered(session, notifier, answered)
    return answered


def tell_answered(session: Session, notifier: Notifier, answered: Answered) -> None:
    """Tell the other staff the alert reached and the family who took it (only the first answer)."""
    if not answered.taken:
        return
    view: dict[str, Any] = {
        "alert_id": answered.alert_id,
        "by_name": answered.by_name,
        "by_role": answered.by_role,
    }
    for other in answered.others:
        if other.chat_id is not None:
            notifier.notify(
                other.chat_id,
                "family/ack_others",
                purpose="alert_taken",
                dedupe_key=f"alert_taken:{answered.alert_id}:{other.worker_id}",
                urgent=True,
                person_name=answered.person_name,
                **view,
            )
    if answered.family_chat_id is not None:
        notifier.notify(
            answered.family_chat_id,
            "family/urgent_taken",
            purpose="alert_taken",
            dedupe_key=f"alert_taken_family:{answered.alert_id}",
            urgent=True,
            **view,
        )
