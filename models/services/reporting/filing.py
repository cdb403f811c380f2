"""Filing a report, the whole use case: save it once, alert whom it concerns, ask for a colour change,
tick it off the morning list, and retract the alert of the record it corrects; voiding one, too.

Handlers (handlers.reports.saving, .corrections) only show the outcome; the messages to others go
through the notifier (models.services.notify) in the same unit of work as the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from models.buttons import CardOpen, ColourDecision
from models.people import Colour
from models.records import ALERT_RESULTS, NOT_MET, RecordKind
from models.services.alerts.routing import LOST_CONTACT_ROLES, Routing
from models.services.identity import Identity
from models.services.notify import Notifier
from models.services.reporting.alerts import alert_staff, retract_alert
from models.services.reporting.colour import deciders, propose_colour
from models.services.reporting.records import (
    Filed,
    NewRecord,
    RecordRef,
    raises_alert,
    save_record,
    void_record,
)
from models.services.reporting.registration import mark_registered
from models.services.reporting.visits import NOT_MET_TWICE, not_met_twice


@dataclass(frozen=True)
class Reported:
    """What filing did: the saved record, who was alerted at once (if the record alerts), and whether
    a colour change went to a supervisor or police officer."""

    filed: Filed
    alerted: Routing | None = None
    proposed: bool = False


def file_report(
    session: Session,
    notifier: Notifier,
    who: Identity,
    new: NewRecord,
    *,
    now: datetime,
    idempotency_key: str,
    today: date | None = None,
    corrects_id: int | None = None,
) -> Reported:
    """Save the record once per key (models.services.reporting.records.save_record, whose refusals propagate);
    only the call that created it tells anyone, so a double tap or redelivery alerts nobody twice.

    A record of today happened `now`, one of another day at noon of that day, local
    (models.record_dates.moment_of): so a registration's day is `today`, or its own date.
    """
    filed = save_record(
        session, who, new, now=now, idempotency_key=idempotency_key, today=today, corrects_id=corrects_id
    )
    if not filed.created:
        return Reported(filed)
    if new.kind == RecordKind.registration:  # the person's registration date follows the record
        day = today if today is not None and new.occurred_at == now else new.occurred_at.date()
        mark_registered(session, who, new.person_id, day, now=now, corrected=corrects_id is not None)
    alerted = _alert(session, notifier, who, new, filed, now=now)
    proposed = _propose_colour(session, notifier, who, new, filed, now=now)
    notifier.tick_off(new.person_id)  # tick the item off in this morning's list
    if filed.replaced is not None and filed.replaced.alerting:
        retract_alert(session, notifier, filed.replaced, sender=who.worker_id, corrected=True)
    return Reported(filed, alerted, proposed)


def void_report(
    session: Session,
    notifier: Notifier,
    who: Identity,
    record_id: int,
    reason: str,
    *,
    now: datetime,
    today: date | None = None,
) -> RecordRef:
    """Void one's own record within the window (models.services.reporting.records.void_record, whose refusals
    propagate), and tell the staff its alert reached that it no longer stands."""
    ref = void_record(session, who, record_id, reason, now=now, today=today)
    if ref.alerting:
        retract_alert(session, notifier, ref, sender=who.worker_id, corrected=False)
    return ref


def _alert(
    session: Session, notifier: Notifier, who: Identity, new: NewRecord, filed: Filed, *, now: datetime
) -> Routing | None:
    """A positive, refused or missed test, or relapse signs on a visit, alerts cadre, police and
    supervisor; a second 未见到本人 in a row alerts cadre and police that contact may be lost."""
    common: dict[str, Any] = {
        "sender": who.worker_id,
        "person_id": new.person_id,
        "record_id": filed.id,
        "now": now,
    }
    if new.kind == RecordKind.drug_test and new.result in ALERT_RESULTS:
        return alert_staff(
            session,
            notifier,
            kind=str(new.kind),
            template="reports/alert_test",
            result=new.result,
            substances=new.details["substances"],
            **common,
        )
    if new.kind == RecordKind.visit and new.result == NOT_MET:
        if not not_met_twice(session, new.person_id, filed.id):
            return None
        return alert_staff(
            session,
            notifier,
            kind=NOT_MET_TWICE,
            template="reports/alert_not_met",
            roles=LOST_CONTACT_ROLES,
            **common,
        )
    if new.kind == RecordKind.visit and raises_alert(new.kind, new.result, new.details):
        return alert_staff(
            session,
            notifier,
            kind=str(new.kind),
            template="reports/alert_visit",
            state=new.result,
            social=new.details["social"],
            **common,
        )
    return None


def _propose_colour(
    session: Session, notifier: Notifier, who: Identity, new: NewRecord, filed: Filed, *, now: datetime
) -> bool:
    """An assessment suggesting another colour asks the deciders; the text names the person by code."""
    if new.kind != RecordKind.assessment or new.result is None:
        return False
    reason = f"{new.subkind} assessment {filed.id}, score {new.score}"
    proposal = propose_colour(
        session, who, new.person_id, filed.id, Colour(new.result), reason=reason, now=now
    )
    if proposal is None:  # the suggestion is the colour the person already has
        return False
    for decider in deciders(session, new.person_id):
        notifier.notify(
            decider.chat_id,
            "reports/colour_proposal",
            purpose="colour",
            dedupe_key=f"colour-proposal:{proposal.id}:{decider.worker_id}",
            buttons=[
                [
                    ("rp_btn_confirm_colour", ColourDecision(proposal.id, "y").pack()),
                    ("rp_btn_reject_colour", ColourDecision(proposal.id, "n").pack()),
                ],
                [("rp_btn_card", CardOpen(new.person_id).pack())],
            ],
            code=proposal.person_code,
            current=str(proposal.current),
            proposed=str(proposal.proposed),
            assessment=new.subkind,
            score=new.score,
        )
    return True
