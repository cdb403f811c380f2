"""Anonymous tips (举报涉毒线索) from families to the police of their community.

The police receive the tip's text (and photo) and the community it concerns, nothing that points
to the tipster or to the family's own case. Who sent it is sealed with the field key ring and
opened only by an administrator through an audited command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from models.areas import Area, within
from models.audit import Actor, audit
from models.crypto import KeyRing
from models.family import Tip
from models.people import FamilyMember, Person, Role, Worker
from models.sealing import open_field, seal_fields
from models.services.family.alerts import Responder
from models.services.family.channel import ancestors, community_of
from models.services.identity import Identity

TIPSTER_FIELD = "tipster"


def _police(session: Session, area: Area) -> list[Worker]:
    """The police of a community (its subtree), else of the nearest area above that has any."""
    found = session.scalars(
        select(Worker)
        .join(Area, Area.id == Worker.area_id)
        .where(Worker.role == Role.police, Worker.active.is_(True), within(Area.path, area.path))
        .order_by(Worker.id)
    ).all()
    if found:
        return list(found)
    for above in ancestors(session, area.id)[1:]:
        found = session.scalars(
            select(Worker)
            .where(Worker.area_id == above.id, Worker.role == Role.police, Worker.active.is_(True))
            .order_by(Worker.id)
        ).all()
        if found:
            return list(found)
    return []


def tip_police(session: Session, area_id: int) -> list[Responder]:
    """Who receives a tip about this area: the police role there, and nobody else."""
    area = session.get(Area, area_id)
    if area is None:
        return []
    return [Responder(w.id, w.telegram_user_id, w.name, str(w.role)) for w in _police(session, area)]


@dataclass(frozen=True)
class TipDelivered:
    tip_id: int
    area_name: str
    police: tuple[Responder, ...]


def submit_tip(
    session: Session, who: Identity, text: str, photo_file_id: str | None, *, keys: KeyRing, now: datetime
) -> TipDelivered | None:
    """Store a tip for the police of the caller's community, the tipster sealed."""
    if who.person_id is None:
        return None
    area_id = session.scalar(select(Person.area_id).where(Person.id == who.person_id))
    community = community_of(session, area_id) if area_id is not None else None
    if community is None:
        return None
    tipster = json.dumps({"telegram_user_id": who.telegram_user_id, "family_member_id": who.family_member_id})
    police = tuple(tip_police(session, community.id))
    tip = Tip(
        area_id=community.id,
        text=text,
        photo_file_id=photo_file_id,
        created_at=now,
        delivered_to=sum(1 for p in police if p.chat_id is not None),
    )
    session.add(tip)
    seal_fields(session, keys, tip, {TIPSTER_FIELD: tipster})  # after its id, which the seal is bound to
    # The actor is not recorded: an audit row naming the family member would undo the anonymity.
    audit(session, Actor.system(), "create", "tip", tip.id, at=now, detail=f"police={len(police)}")
    return TipDelivered(tip.id, community.name, police)


def tip_photo(session: Session, who: Identity, tip_id: int, *, now: datetime) -> str | None:
    """The photo of a tip, for the police officers it was delivered to; None for anyone else."""
    tip = session.get(Tip, tip_id)
    if tip is None or tip.photo_file_id is None or who.worker_id is None:
        audit(session, who.actor, "refused", "tip", tip_id, at=now, detail="photo")
        return None
    if who.worker_id not in {p.worker_id for p in tip_police(session, tip.area_id)}:
        audit(session, who.actor, "refused", "tip", tip_id, at=now, detail="photo")
        return None
    audit(session, who.actor, "read", "tip", tip_id, at=now, detail="photo")
    return tip.photo_file_id


@dataclass(frozen=True)
class TakenUp:
    """A tip marked 已受理: by whom, whether this press did it, whom to tell."""

    tip_id: int
    first: bool  # False: someone had already taken it up (nothing changed)
    by: str  # the name of the officer who took it up
    tipster_chat: int | None  # None: the tipster has left the channel since, and is not told
    police: tuple[Responder, ...]  # the officers the tip went to (the caller among them)


def take_up_tip(
    session: Session, who: Identity, tip_id: int, *, keys: KeyRing, now: datetime
) -> TakenUp | None:
    """已受理: one of the officers a tip went to takes it up, once; None for anyone else.

    The tipster's seal is opened here only to tell them (their chat is returned, never shown); a
    tipster who has since unlinked (/stop) is not written to: they asked to leave, and the account
    may no longer be theirs.
    """
    tip = session.get(Tip, tip_id)
    police = tuple(tip_police(session, tip.area_id)) if tip is not None else ()
    if tip is None or who.worker_id is None or who.worker_id not in {p.worker_id for p in police}:
        audit(session, who.actor, "refused", "tip", tip_id, at=now, detail="take up")
        return None
    changed = cast(
        "CursorResult[Any]",
        session.execute(
            update(Tip)
            .where(Tip.id == tip_id, Tip.taken_up_at.is_(None))
            .values(taken_up_at=now, taken_up_by=who.worker_id)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    session.refresh(tip)
    by = session.scalar(select(Worker.name).where(Worker.id == tip.taken_up_by)) or ""
    if not changed:
        return TakenUp(tip_id, False, by, None, police)
    audit(session, who.actor, "take_up", "tip", tip_id, at=now)
    chat = _tipster_chat(session, keys, tip)
    # The actor is the system, as when the tip was made: nothing here may name the family member.
    audit(session, Actor.system(), "notify", "tip", tip_id, at=now, detail=f"tipster told={chat is not None}")
    return TakenUp(tip_id, True, by, chat, police)


def _tipster_chat(session: Session, keys: KeyRing, tip: Tip) -> int | None:
    """The tipster's chat if they are still linked to the family channel with the same account."""
    opened = open_field(keys, tip, TIPSTER_FIELD)
    if opened is None:
        return None
    data = json.loads(opened)
    member_id, chat = data.get("family_member_id"), data.get("telegram_user_id")
    if member_id is None or chat is None:
        return None
    still = session.scalar(
        select(FamilyMember.id).where(
            FamilyMember.id == member_id, FamilyMember.active.is_(True), FamilyMember.telegram_user_id == chat
        )
    )
    return int(chat) if still is not None else None


@dataclass(frozen=True)
class Tipster:
    """Who sent a tip, as sealed when it was sent."""

    tip_id: int
    telegram_user_id: int
    family_member_id: int | None


def reveal_tipster(
    session: Session, tip_id: int, actor: Actor, keys: KeyRing, now: datetime
) -> Tipster | None:
    """Open a tip's sealed tipster for an administrator (the audited `reveal` CLI command only)."""
    tip = session.get(Tip, tip_id)
    if tip is None:
        audit(session, actor, "refused", "tip", tip_id, at=now, detail="reveal: no such tip")
        return None
    opened = open_field(keys, tip, TIPSTER_FIELD)
    assert opened is not None
    data = json.loads(opened)
    audit(session, actor, "reveal", "tip", tip_id, at=now, detail="tipster identity opened")
    return Tipster(tip_id, int(data["telegram_user_id"]), data.get("family_member_id"))
