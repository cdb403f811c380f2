"""Invites: one-time, expiring codes that link a Telegram account to a worker or a family member."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.access import Principal, principal_of
from models.audit import Actor, ActorKind, audit
from models.people import FamilyMember, Invite, InviteKind, Person, Worker
from models.services.directory.entries import NotFound
from models.services.directory.links import silence_chat
from models.services.reminders.joiners import mark_joined
from models.services.sql import changed_rows

DEFAULT_TTL = timedelta(days=7)


def hash_code(code: str) -> str:
    """Codes are stored hashed: a leaked database holds no usable invite."""
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True)
class NewInvite:
    code: str
    kind: InviteKind
    expires_at: datetime
    target_id: int


def invite_worker(
    session: Session, worker_code: str, *, actor: Actor, now: datetime, ttl: timedelta = DEFAULT_TTL
) -> NewInvite:
    """An invite that links a Telegram account to the worker with this code."""
    worker = session.scalar(select(Worker).where(Worker.code == worker_code, Worker.active.is_(True)))
    if worker is None:
        raise NotFound(f"worker {worker_code}")
    return _issue(session, InviteKind.worker, worker_id=worker.id, actor=actor, now=now, ttl=ttl)


def invite_family(
    session: Session,
    person_code: str,
    relation: str,
    *,
    actor: Actor,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> NewInvite:
    """A new (unverified) family member of the person, and the invite that will link their account."""
    person = session.scalar(select(Person).where(Person.code == person_code))
    if person is None:
        raise NotFound(f"person {person_code}")
    member = FamilyMember(person_id=person.id, relation=relation[:30], verified=False, active=True)
    session.add(member)
    session.flush()
    audit(session, actor, "create", "family_member", member.id, at=now, person_id=person.id)
    return _issue(session, InviteKind.family, family_member_id=member.id, actor=actor, now=now, ttl=ttl)


def _issue(
    session: Session,
    kind: InviteKind,
    *,
    actor: Actor,
    now: datetime,
    ttl: timedelta,
    worker_id: int | None = None,
    family_member_id: int | None = None,
) -> NewInvite:
    code = secrets.token_urlsafe(12)  # 16 characters from Telegram's deep-link alphabet
    invite = Invite(
        code_hash=hash_code(code),
        kind=kind,
        worker_id=worker_id,
        family_member_id=family_member_id,
        created_at=now,
        expires_at=now + ttl,
        created_by=actor.ref(),
    )
    session.add(invite)
    session.flush()
    audit(session, actor, "create", "invite", invite.id, at=now, detail=str(kind))
    return NewInvite(code, kind, invite.expires_at, worker_id or family_member_id or 0)


class Redeemed(StrEnum):
    linked_worker = "linked_worker"
    linked_family = "linked_family"
    invalid = "invalid"  # unknown, used or expired: the caller learns nothing more
    inactive_worker = "inactive_worker"  # a real code of a worker who is not active: links nobody


@dataclass(frozen=True)
class Redemption:
    outcome: Redeemed
    worker_id: int | None = None
    family_member_id: int | None = None


def redeem(session: Session, code: str, telegram_user_id: int, *, now: datetime) -> Redemption:
    """Link the account if the code is valid, unused and unexpired; a code works once."""
    invite = session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return Redemption(Redeemed.invalid)
    if invite.kind is InviteKind.worker and not _worker_active(session, invite.worker_id):
        return Redemption(Redeemed.inactive_worker)
    # Atomic claim: of two concurrent redemptions only one updates the row.
    claimed = changed_rows(
        session, update(Invite).where(Invite.id == invite.id, Invite.used_at.is_(None)).values(used_at=now)
    )
    if claimed != 1:
        return Redemption(Redeemed.invalid)
    actor_kind = ActorKind.worker if invite.kind is InviteKind.worker else ActorKind.family
    target = invite.worker_id if invite.kind is InviteKind.worker else invite.family_member_id
    _unlink_everywhere(session, telegram_user_id, Actor(actor_kind, target), now=now)
    if invite.kind is InviteKind.worker:
        session.execute(
            update(Worker).where(Worker.id == invite.worker_id).values(telegram_user_id=telegram_user_id)
        )
        result = Redemption(Redeemed.linked_worker, worker_id=invite.worker_id)
        person_id = None
        if invite.worker_id is not None:  # the day's notices that already went out are owed to them
            mark_joined(session, [invite.worker_id], now=now)
    else:
        member = session.get(FamilyMember, invite.family_member_id)
        assert member is not None
        member.telegram_user_id, member.verified, member.active = telegram_user_id, True, True
        result = Redemption(Redeemed.linked_family, family_member_id=member.id)
        person_id = member.person_id
    audit(
        session,
        Actor(actor_kind, target),
        "link",
        actor_kind,
        target,
        at=now,
        person_id=person_id,
        detail="telegram account linked",
    )
    return result


def _worker_active(session: Session, worker_id: int | None) -> bool:
    """Whether the invite's worker is active, the row locked (PostgreSQL) until the link is written:
    a deactivation running at the same time comes after the link, and ends it."""
    query = select(Worker.active).where(Worker.id == worker_id).with_for_update()
    return bool(session.scalar(query))


def _unlink_everywhere(session: Session, telegram_user_id: int, new: Actor, *, now: datetime) -> None:
    """One Telegram account is one identity: a new link replaces any older one, audited, and what the
    older identity had open in the chat (a form, queued messages naming its people) goes with it."""
    workers = session.scalars(select(Worker.id).where(Worker.telegram_user_id == telegram_user_id)).all()
    members = session.execute(
        select(FamilyMember.id, FamilyMember.person_id).where(
            FamilyMember.telegram_user_id == telegram_user_id
        )
    ).all()
    keep = (new.kind, new.id)
    ended = [("worker", worker_id, None) for worker_id in workers if (ActorKind.worker, worker_id) != keep]
    ended += [("family_member", m.id, m.person_id) for m in members if (ActorKind.family, m.id) != keep]
    session.execute(
        update(Worker).where(Worker.telegram_user_id == telegram_user_id).values(telegram_user_id=None)
    )
    session.execute(
        update(FamilyMember)
        .where(FamilyMember.telegram_user_id == telegram_user_id)
        .values(telegram_user_id=None, active=False)
    )
    for record_type, record_id, person_id in ended:
        detail = f"telegram account now linked to {new.ref()}"
        audit(session, new, "unlink", record_type, record_id, at=now, person_id=person_id, detail=detail)
    if ended:
        silence_chat(session, telegram_user_id)  # private chat: the chat id is the account id


@dataclass(frozen=True)
class Offer:
    """What a valid, unused invite would link an account to; looking claims nothing."""

    kind: InviteKind
    worker_id: int | None
    worker_active: bool
    becomes: Principal  # the role the account would have

    def keeps(self, identity_worker_id: int | None) -> bool:
        """Whether redeeming leaves the account what it is (a worker's own invite, opened again)."""
        return self.worker_id is not None and self.worker_id == identity_worker_id


def inspect_invite(session: Session, code: str, *, now: datetime) -> Offer | None:
    """What this code would link to, if it is valid, unused and unexpired (else None); changes nothing."""
    invite = session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return None
    if invite.kind is InviteKind.family:
        return Offer(invite.kind, None, True, Principal.family)
    worker = session.get(Worker, invite.worker_id)
    if worker is None:
        return None
    return Offer(invite.kind, worker.id, bool(worker.active), principal_of(worker.role))
