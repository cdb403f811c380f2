"""工作委托 told: the colleague learns at once that a caseload was handed to them, or taken back."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from models.services.directory.delegation import Delegated, cancel_delegation, delegate
from models.services.identity import Identity
from models.services.notify import Notifier


def hand_over(
    session: Session,
    notifier: Notifier,
    who: Identity,
    to_worker_id: int,
    starts_on: date,
    ends_on: date,
    *,
    now: datetime,
    today: date,
) -> Delegated:
    """Delegate the caller's caseload (models.services.directory.delegation.delegate: its refusals propagate)
    and tell the colleague."""
    made = delegate(session, who, to_worker_id, starts_on, ends_on, now=now, today=today)
    if made.to_chat_id is not None:
        notifier.notify(
            made.to_chat_id,
            "reports/delegated_to_you",
            purpose="notice",
            dedupe_key=f"delegation:{made.id}",
            who=who.name or "",
            starts=starts_on,
            ends=ends_on,
            people=made.people,
        )
    return made


def end_delegation(
    session: Session, notifier: Notifier, who: Identity, delegation_id: int, *, now: datetime
) -> Delegated | None:
    """The delegating worker ends it now (None if not theirs); the colleague is told."""
    ended = cancel_delegation(session, who, delegation_id, now=now)
    if ended is not None and ended.to_chat_id is not None:
        notifier.notify(
            ended.to_chat_id,
            "reports/delegation_ended_to_you",
            purpose="notice",
            dedupe_key=f"delegation-end:{ended.id}",
            who=who.name or "",
        )
    return ended
