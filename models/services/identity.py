"""Who is writing: a Telegram account resolved to a worker, a family member, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from models.access import Principal, principal_of
from models.areas import Area
from models.audit import Actor, ActorKind
from models.chat import Chat
from models.people import FamilyMember, Person, Worker


@dataclass(frozen=True)
class Identity:
    """The caller, as the access rules see them."""

    principal: Principal
    telegram_user_id: int
    worker_id: int | None = None
    family_member_id: int | None = None
    person_id: int | None = None  # a family member's linked person
    area_path: str | None = None  # a worker's home area: their jurisdiction
    name: str | None = None
    locale: str | None = None  # the linked record's preference
    consented: bool = True  # a family member agreed to the privacy notice (staff: always)

    @property
    def actor(self) -> Actor:
        if self.worker_id is not None:
            return Actor(ActorKind.worker, self.worker_id, self.principal.value)
        if self.family_member_id is not None:
            return Actor(ActorKind.family, self.family_member_id, "family")
        return Actor(ActorKind.telegram, None, "unlinked")


# Built once, on the tables rather than the ORM classes (see models.services.sql): these run on every
# update, and a prebuilt Core select costs a third of the same select through the ORM.
_workers, _areas, _members, _persons, _chats = (
    m.__table__ for m in (Worker, Area, FamilyMember, Person, Chat)
)
_ACTIVE_WORKER = (
    select(_workers.c.id, _workers.c.role, _workers.c.name, _workers.c.locale, _areas.c.path)
    .join(_areas, _areas.c.id == _workers.c.area_id)
    .where(_workers.c.telegram_user_id == bindparam("user"), _workers.c.active.is_(True))
)
_VERIFIED_MEMBER = (
    select(_members.c.id, _members.c.person_id, _members.c.locale, _members.c.consented_at)
    .join(_persons, _persons.c.id == _members.c.person_id)
    .where(
        _members.c.telegram_user_id == bindparam("user"),
        _members.c.active.is_(True),
        _members.c.verified.is_(True),
    )
)
_CHAT_STATE = select(_chats.c.locale, _chats.c.unreachable).where(_chats.c.chat_id == bindparam("chat"))
_CHAT_REACHABLE = update(_chats).where(_chats.c.chat_id == bindparam("chat")).values(unreachable=False)


def resolve(session: Session, telegram_user_id: int) -> Identity:
    """The identity behind a Telegram account: an active worker first, then a verified family member."""
    row = session.execute(_ACTIVE_WORKER, {"user": telegram_user_id}).first()
    if row is not None:
        return Identity(
            principal_of(row.role),
            telegram_user_id,
            worker_id=row.id,
            area_path=row.path,
            name=row.name,
            locale=row.locale,
        )
    member = session.execute(_VERIFIED_MEMBER, {"user": telegram_user_id}).first()
    if member is not None:
        return Identity(
            Principal.family,
            telegram_user_id,
            family_member_id=member.id,
            person_id=member.person_id,
            locale=member.locale,
            consented=member.consented_at is not None,
        )
    return Identity(Principal.unlinked, telegram_user_id)


def touch_chat(session: Session, chat_id: int, *, now: datetime) -> str | None:
    """On each update: make sure the chat has a row, mark it reachable (whoever writes has unblocked
    us), and return the language it chose. One read in the usual case, a write only on a change."""
    row = session.execute(_CHAT_STATE, {"chat": chat_id}).first()
    if row is None:
        chat_settings(session, chat_id, now=now)
        return None
    if row.unreachable:
        session.execute(_CHAT_REACHABLE, {"chat": chat_id})
    return row.locale


def chat_settings(session: Session, chat_id: int, *, now: datetime) -> Chat:
    """The chat's row, created on first contact."""
    chat = session.get(Chat, chat_id)
    if chat is None:
        chat = Chat(chat_id=chat_id, failed_codes=0, unreachable=False, created_at=now)
        session.add(chat)
    return chat


def chat_locale(session: Session, chat_id: int) -> str | None:
    """The language a chat chose (/lang), else its linked record's preference, else None."""
    chosen = session.scalar(select(Chat.locale).where(Chat.chat_id == chat_id))
    if chosen:
        return chosen
    worker_locale = session.scalar(select(Worker.locale).where(Worker.telegram_user_id == chat_id))
    if worker_locale:
        return worker_locale
    return session.scalar(select(FamilyMember.locale).where(FamilyMember.telegram_user_id == chat_id))


def set_locale(session: Session, chat_id: int, locale: str, *, now: datetime) -> None:
    chat_settings(session, chat_id, now=now).locale = locale


CODE_ATTEMPTS_FREE = 3


def code_attempt_blocked(session: Session, chat_id: int, *, now: datetime) -> bool:
    """True while an account that sent wrong codes must wait."""
    chat = chat_settings(session, chat_id, now=now)
    return chat.codes_blocked_until is not None and chat.codes_blocked_until > now


def record_code_attempt(session: Session, chat_id: int, *, ok: bool, now: datetime) -> None:
    """Count wrong codes; after a few, each further one doubles the wait (1 min, 2, 4 … up to a day)."""
    chat = chat_settings(session, chat_id, now=now)
    if ok:
        chat.failed_codes, chat.codes_blocked_until = 0, None
        return
    chat.failed_codes += 1
    over = chat.failed_codes - CODE_ATTEMPTS_FREE
    if over >= 0:
        chat.codes_blocked_until = now + min(timedelta(minutes=2**over), timedelta(days=1))
