"""Colour proposals (分类调整): an assessment suggests a risk colour, a supervisor or police officer decides.

A worker's assessment never changes the colour by itself. It files a ColourProposal; the nearest
supervisors of the person's area (jurisdiction) and the police officer of the care team (caseload)
may confirm or reject it by button. The first decision counts; confirming changes the colour
through models.services.directory.entries.change_colour, which keeps the history (when, from, to, why, who).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.access import Action
from models.audit import audit
from models.casework import ColourProposal
from models.people import CaseRole, Colour, Person, Worker
from models.services.caseload import Recipient, care_team_recipients, nearest_supervisors
from models.services.directory.entries import change_colour
from models.services.identity import Identity
from models.services.rights import may


@dataclass(frozen=True)
class Proposal:
    id: int
    person_id: int
    person_code: str
    current: Colour
    proposed: Colour
    record_id: int | None
    proposed_by: int


def propose_colour(
    session: Session,
    who: Identity,
    person_id: int,
    record_id: int,
    proposed: Colour,
    *,
    reason: str,
    now: datetime,
) -> Proposal | None:
    """File a proposal for the assessment `record_id`, once per record; None if it changes nothing.

    The caller has filed the assessment (and so was allowed to write for this person).
    """
    person = session.get(Person, person_id)
    if person is None or who.worker_id is None or person.colour == proposed:
        return None
    existing = session.scalar(select(ColourProposal).where(ColourProposal.record_id == record_id))
    proposal = existing or ColourProposal(
        person_id=person_id,
        record_id=record_id,
        proposed=proposed,
        reason=reason[:200],
        proposed_by=who.worker_id,
        created_at=now,
    )
    if existing is None:
        session.add(proposal)
        session.flush()
        audit(
            session,
            who.actor,
            "propose",
            "colour",
            proposal.id,
            at=now,
            person_id=person_id,
            detail=str(proposed),
        )
    return Proposal(
        proposal.id, person_id, person.code, person.colour, proposal.proposed, record_id, proposal.proposed_by
    )


def deciders(session: Session, person_id: int) -> list[Recipient]:
    """Who is asked: the nearest supervisors of the area and the police officer(s) of the care team."""
    found = nearest_supervisors(session, person_id) + care_team_recipients(
        session, person_id, (CaseRole.police,)
    )
    unique: dict[int, Recipient] = {}
    for recipient in found:
        unique.setdefault(recipient.worker_id, recipient)
    return list(unique.values())


class Decision(StrEnum):
    confirmed = "confirmed"
    rejected = "rejected"
    already = "already"  # someone decided first (or the assessment was voided)
    not_allowed = "not_allowed"


@dataclass(frozen=True)
class Decided:
    outcome: Decision
    proposal: Proposal | None = None
    proposer_chat: int | None = None  # to tell the worker who proposed it


def decide_colour(
    session: Session,
    who: Identity,
    proposal_id: int,
    accept: bool,
    *,
    now: datetime,
    today: date | None = None,
) -> Decided:
    """Confirm or reject a proposal: only a supervisor over the person's area or the case's police
    officer; the first decision counts. Confirming changes the colour with the history kept."""
    row = session.get(ColourProposal, proposal_id)
    if row is None or not may(session, who, Action.confirm_colour, row.person_id, now=now, today=today):
        if row is None:
            audit(
                session,
                who.actor,
                "refused",
                "colour",
                proposal_id,
                at=now,
                detail=str(Action.confirm_colour),
            )
        return Decided(Decision.not_allowed)
    person = session.get(Person, row.person_id)
    assert person is not None
    proposal = Proposal(
        row.id, person.id, person.code, person.colour, row.proposed, row.record_id, row.proposed_by
    )
    if row.decided_at is not None:
        return Decided(Decision.already, proposal)
    row.decided_at, row.decided_by, row.accepted = now, who.worker_id, accept
    if accept and person.colour != row.proposed:
        change_colour(
            session,
            person,
            row.proposed,
            reason=f"{row.reason}; confirmed by proposal {row.id}"[:200],
            actor=who.actor,
            now=now,
            old=person.colour,
        )
        person.updated_at = now
    outcome = Decision.confirmed if accept else Decision.rejected
    audit(
        session,
        who.actor,
        str(outcome),
        "colour",
        row.id,
        at=now,
        person_id=person.id,
        detail=str(row.proposed),
    )
    chat = session.scalar(
        select(Worker.telegram_user_id).where(Worker.id == row.proposed_by, Worker.active.is_(True))
    )
    return Decided(outcome, proposal, chat)
