"""A family member's consent to the family channel's privacy notice (隐私告知与同意).

Linking an account does not by itself let a relative use the channel: they first read what is kept,
who sees it and how to leave, and agree. The date of agreement is kept on the member and audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from models.audit import audit
from models.people import FamilyMember
from models.services.identity import Identity
from models.services.sql import changed_rows


def record_consent(session: Session, who: Identity, *, now: datetime) -> bool:
    """Record the caller's agreement (once; a second press changes nothing); whether they are a member."""
    if who.family_member_id is None:
        return False
    agreed = changed_rows(
        session,
        update(FamilyMember)
        .where(
            FamilyMember.id == who.family_member_id,
            FamilyMember.active.is_(True),
            FamilyMember.consented_at.is_(None),
        )
        .values(consented_at=now),
    )
    if agreed == 1:
        audit(
            session,
            who.actor,
            "consent",
            "family_member",
            who.family_member_id,
            at=now,
            person_id=who.person_id,
            detail="privacy notice agreed",
        )
    return True
