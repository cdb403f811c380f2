"""A worker leaves (`gridcare worker deactivate`): their caseload goes to a successor, and the families
of the people moved and the successor are told, in the deactivation's unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from models.audit import Actor
from models.services.directory.workforce import Deactivation, deactivate_worker
from models.services.family.notices import tell_reassignment
from models.services.notify import Notifier


@dataclass(frozen=True)
class Handover:
    """Who was told of a deactivation: family accounts (new contact card) and the successor."""

    families_told: int
    successor_told: bool


def hand_over(
    session: Session,
    notifier: Notifier,
    worker_code: str,
    successor_code: str,
    *,
    actor: Actor,
    now: datetime,
    today: date,
    any_role: bool = False,
) -> tuple[Deactivation, Handover]:
    """Deactivate the worker and move their caseload
    (models.services.directory.workforce.deactivate_worker, whose refusals propagate); each moved
    person's families get the new contact card (as a reassignment in the chat does) and the successor
    a notice of what they took over."""
    done = deactivate_worker(
        session, worker_code, successor_code, actor=actor, now=now, today=today, any_role=any_role
    )
    told = sum(
        tell_reassignment(session, notifier, person_id, done.worker_id, done.successor_id, now=now)
        for person_id in done.reassigned
    )
    successor_told = False
    if done.successor_chat_id is not None and done.moved:
        successor_told = (
            notifier.notify(
                done.successor_chat_id,
                "security/caseload_received",
                purpose="notice",
                dedupe_key=f"caseload_received:{done.worker_id}:{done.successor_id}:{now:%Y%m%d%H%M}",
                persons=done.persons,
                previous=done.worker_name,
            )
            is not None
        )
    return done, Handover(told, successor_told)
