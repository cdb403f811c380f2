"""The audit trail: who read or wrote what, when. Append-only (database triggers forbid changes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, BigId, UTCDateTime


class ActorKind(StrEnum):
    worker = "worker"
    family = "family"
    telegram = "telegram"  # an unlinked Telegram account
    cli = "cli"
    system = "system"


@dataclass(frozen=True)
class Actor:
    """Who acts: kind, id within that kind, role (for workers) and a label for the CLI user."""

    kind: ActorKind
    id: int | None = None
    role: str | None = None

    @classmethod
    def cli(cls) -> Actor:
        return cls(ActorKind.cli)

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.system)

    def ref(self) -> str:
        return f"{self.kind}:{self.id}" if self.id is not None else str(self.kind)


class AuditEntry(Base):
    """One audited action. `detail` names fields or outcomes, never personal data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[ActorKind] = mapped_column(Enum(ActorKind, native_enum=False, length=20))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_role: Mapped[str | None] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(40))
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int | None] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    detail: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_audit_person", "person_id", "at"),
        Index("ix_audit_actor", "actor_kind", "actor_id", "at"),
    )


_APPEND = insert(AuditEntry.__table__)


def audit(
    session: Session,
    actor: Actor,
    action: str,
    record_type: str,
    record_id: int | None,
    *,
    at: datetime,
    person_id: int | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry in the caller's transaction, so the action and its audit commit together.

    A Core insert of a prebuilt statement: audit runs on most updates, and the ORM way (an object
    added, then flushed) costs several times more for a row nothing reads back."""
    entry = _entry(actor, action, record_type, record_id, at, detail)
    session.execute(_APPEND, entry | {"person_id": person_id})


def _entry(
    actor: Actor, action: str, record_type: str, record_id: int | None, at: datetime, detail: str | None
) -> dict[str, object]:
    """An entry's columns but the person."""
    return {
        "at": at,
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_role": actor.role,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "detail": detail,
    }


def audit_persons(
    session: Session,
    actor: Actor,
    action: str,
    record_type: str,
    record_id: int | None,
    person_ids: Iterable[int],
    *,
    at: datetime,
    detail: str | None = None,
    batch: int = 5000,
) -> int:
    """One entry per person of a bulk action (an export), so each appears in their own trail; written
    as executemany batches (one statement per `batch` persons); the number of entries."""
    common = _entry(actor, action, record_type, record_id, at, detail)
    written, chunk = 0, []
    for person_id in person_ids:
        chunk.append(common | {"person_id": person_id})
        if len(chunk) == batch:
            session.execute(_APPEND, chunk)
            written, chunk = written + len(chunk), []
    if chunk:
        session.execute(_APPEND, chunk)
        written += len(chunk)
    return written
