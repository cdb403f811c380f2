"""Who is writing: a Telegram account resolved to a worker, a family member, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, literal, select, update
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
    select(
        _workers.c.id,
        _workers.c.role,
        _workers.c.name,
        _workers.c.locale.label("worker_locale"),
        _areas.c.path,
    )
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
_CHAT_REACHABLE = update(_chats).where(_chats.c.chat_id == bindparam("chat")).values(unreachable=False)


def resolve(session: Session, telegram_user_id: int) -> Identity:
    """The identity behind a Telegram account: an active worker first, then a verified family member."""
    row = session.execute(_ACTIVE_WORKER, {"user": telegram_user_id}).first()
    return _identity(session, telegram_user_id, row)


def _identity(session: Session, telegram_user_id: int, worker: Any) -> Identity:
    """A worker's identity from their row (`_ACTIVE_WORKER`'s columns), else a verified family member's."""
    if worker is not None and worker.id is not None:
        return Identity(
            principal_of(worker.role),
            telegram_user_id,
            worker_id=worker.id,
            area_path=worker.path,
            name=worker.name,
            locale=worker.worker_locale,
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


# What every update reads first, in one statement: the chat's row and the account's worker, if any
# (a family member or a stranger costs one more read). Two statements were 4–6 % of an update
# (BENCHMARKS.md section 15).
_ONE_ROW = select(literal(1).label("one")).subquery("one")
_ARRIVAL = select(
    _chats.c.chat_id.label("known"),
    _chats.c.locale,
    _chats.c.unreachable,
    _workers.c.id,
    _workers.c.role,
    _workers.c.name,
    _workers.c.locale.label("worker_locale"),
    _areas.c.path,
).select_from(
    _ONE_ROW.outerjoin(_chats, _chats.c.chat_id == bindparam("chat")).outerjoin(
        _workers.join(_areas, _areas.c.id == _workers.c.area_id),
        and_(_workers.c.telegram_user_id == bindparam("user"), _workers.c.active.is_(True)),
    )
)


def arrive(
    session: Session, telegram_user_id: int, chat_id: int, *, now: datetime
) -> tuple[Identity, str | None]:
    """Who is writing (`resolve`) and the language their chat chose; on the way, the chat gets a row
    if it has none and is marked reachable (whoever writes has unblocked us). One read in the usual
    case, a write only on a change."""
    row = session.execute(_ARRIVAL, {"user": telegram_user_id, "chat": chat_id}).one()
    if row.known is None:
        chat_settings(session, chat_id, now=now)
    elif row.unreachable:
        session.execute(_CHAT_REACHABLE, {"chat": chat_id})
    return _identity(session, telegram_user_id, row), row.locale


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
