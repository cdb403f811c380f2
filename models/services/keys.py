"""Key rotation: re-seal every encrypted field under the active key, batch by batch, while the bot runs.

Rotating a key (密钥轮换) takes four steps (SECURITY.md): put the new key first in the ring
(`new,old`) on every process; run `gridcare keys rotate`; check nothing is left under the old key;
drop the old key. Each batch is its own short transaction, so the bot keeps writing in between.
A batch only selects values not yet under the active key (their header says which key sealed
them), so a second run, or a run after an interruption, picks up exactly what is left. A value
is written back only if it has not changed since it was read (compare and set): a concurrent
edit wins, and the next pass re-seals it if it is still under an old key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, func, or_, select, update
from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.base import Base
from models.crypto import CryptoError, KeyRing, Slot, header
from models.family import Tip
from models.people import FamilyMember, Person
from models.sealing import check_ring
from models.services.sql import changed_rows

Call = Callable[..., Any]  # Database.call: runs fn(session, *args, **kwargs) in its own unit of work


@dataclass(frozen=True)
class Sealed:
    """One encrypted column and the field name its values are bound to (see KeyRing.seal)."""

    table: Table
    column: str
    field: str

    @property
    def label(self) -> str:
        return f"{self.table.name}.{self.column}"

    def slot(self, row_id: int) -> Slot:
        return Slot(self.table.name, self.field, row_id)


def _t(model: type[Base]) -> Table:
    return model.__table__


# Every sealed column of the schema. A feature that adds one adds it here, or rotation misses it.
SEALED: tuple[Sealed, ...] = (
    Sealed(_t(Person), "id_number_enc", "id_number"),
    Sealed(_t(Person), "phone_enc", "phone"),
    Sealed(_t(Person), "address_enc", "address"),
    Sealed(_t(FamilyMember), "name_enc", "name"),
    Sealed(_t(Tip), "tipster_enc", "tipster"),
)


def _tables() -> list[Table]:
    return list(dict.fromkeys(s.table for s in SEALED))


def _columns(table: Table) -> list[Sealed]:
    return [s for s in SEALED if s.table is table]


def _not_under(sealed: Sealed, kids: Sequence[str]) -> ColumnElement[bool]:
    """SQL: the column holds a value sealed under none of `kids`."""
    col = sealed.table.c[sealed.column]
    checks = [func.substr(col, 1, len(header(k))) != header(k) for k in kids]
    return and_(col.is_not(None), *checks)


class RotationError(RuntimeError):
    """A value cannot be opened with the ring (its key is missing); the message names no data."""


@dataclass(frozen=True)
class BatchResult:
    table: str
    examined: int
    resealed: int
    conflicts: int
    last_id: int


def rotate_batch(
    session: Session, keys: KeyRing, table_name: str, *, after_id: int, limit: int
) -> BatchResult:
    """Re-seal, in this unit of work, up to `limit` rows of one table that hold a value under an old key."""
    check_ring(session, keys)  # every batch: a wrong key with an old key's id writes nothing
    table = next(t for t in _tables() if t.name == table_name)
    sealed = _columns(table)
    active = [keys.active_kid]
    rows = session.execute(
        select(table.c.id, *(table.c[s.column] for s in sealed))
        .where(table.c.id > after_id, or_(*(_not_under(s, active) for s in sealed)))
        .order_by(table.c.id)
        .limit(limit)
    ).all()
    resealed = conflicts = 0
    for row in rows:
        changes: dict[str, bytes] = {}
        for s in sealed:
            value = getattr(row, s.column)
            if value is None or keys.kid_of(bytes(value)) == keys.active_kid:
                continue
            try:
                plaintext = keys.open(bytes(value), s.slot(row.id))
            except CryptoError as exc:
                raise RotationError(f"{s.label} id={row.id}: {exc}") from None
            changes[s.column] = cast(bytes, keys.seal(plaintext, s.slot(row.id)))
        if not changes:
            continue
        unchanged = [table.c[col] == getattr(row, col) for col in changes]
        done = changed_rows(session, update(table).where(table.c.id == row.id, *unchanged).values(changes))
        if done == 1:
            resealed += len(changes)
        else:
            conflicts += 1
    last_id = rows[-1].id if rows else after_id
    return BatchResult(table.name, len(rows), resealed, conflicts, last_id)


def pending(session: Session, keys: KeyRing) -> dict[str, int]:
    """Per sealed column, how many values are not yet under the active key."""
    return {
        s.label: session.scalar(
            select(func.count()).select_from(s.table).where(_not_under(s, [keys.active_kid]))
        )
        or 0
        for s in SEALED
    }


def unreadable(session: Session, keys: KeyRing) -> dict[str, int]:
    """Per sealed column, how many values were sealed under a key the ring lacks (0 everywhere is good)."""
    kids = [kid for kid, _ in keys.keys]
    counts = {
        s.label: session.scalar(select(func.count()).select_from(s.table).where(_not_under(s, kids))) or 0
        for s in SEALED
    }
    return {label: n for label, n in counts.items() if n}


@dataclass(frozen=True)
class Trial:
    """Values of one column opened on trial: how many were tried, and the row ids of those that failed."""

    label: str
    tried: int
    failed: tuple[int, ...]


def trial_open(session: Session, keys: KeyRing, *, sample: int) -> list[Trial]:
    """Open up to `sample` random values of each sealed column whose key is in the ring.

    A value that fails was sealed under another key with the same id, moved from another row, or
    damaged; values under keys the ring lacks are counted by `unreadable` instead."""
    trials = []
    for s in SEALED:
        col = s.table.c[s.column]
        in_ring = or_(*(func.substr(col, 1, len(header(k))) == header(k) for k in keys.kids))
        rows = session.execute(
            select(s.table.c.id, col).where(col.is_not(None), in_ring).order_by(func.random()).limit(sample)
        ).all()
        failed = []
        for row_id, token in rows:
            try:
                keys.open(bytes(token), s.slot(row_id))
            except CryptoError:
                failed.append(row_id)
        trials.append(Trial(s.label, len(rows), tuple(sorted(failed))))
    return trials


@dataclass
class RotationReport:
    """What a rotation did: values re-sealed, rows that changed under it, and whether it finished."""

    active_kid: str
    resealed: int = 0
    conflicts: int = 0
    batches: int = 0
    finished: bool = False
    per_table: dict[str, int] = field(default_factory=dict)


def rotate_keys(
    call: Call,
    keys: KeyRing,
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    passes: int = 3,
    progress: Callable[[BatchResult], None] | None = None,
) -> RotationReport:
    """Re-seal everything under the active key, one transaction per batch; stop after `max_batches`.

    `call` runs one service in its own unit of work (Database.call). Safe to interrupt and run
    again: what is done is not read again. Rows changed by someone else mid-batch are left to the
    next pass (up to `passes`).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = RotationReport(keys.active_kid)
    call(check_ring, keys)  # a key new here gets its check value in a short transaction of its own
    for _ in range(passes):
        conflicts_before = report.conflicts
        for table in _tables():
            last_id = 0
            while True:
                if max_batches is not None and report.batches >= max_batches:
                    return report
                result: BatchResult = call(rotate_batch, keys, table.name, after_id=last_id, limit=batch_size)
                if result.examined == 0:
                    break
                report.batches += 1
                report.resealed += result.resealed
                report.conflicts += result.conflicts
                report.per_table[table.name] = report.per_table.get(table.name, 0) + result.resealed
                last_id = result.last_id
                if progress is not None:
                    progress(result)
        if report.conflicts == conflicts_before:
            report.finished = True
            return report
    report.finished = not any(call(pending, keys).values())
    return report


def record_rotation(session: Session, report: RotationReport, *, actor: Actor, now: datetime) -> None:
    """Audit a rotation run: which key is active now and how many values were re-sealed (no data)."""
    detail = f"active={report.active_kid} resealed={report.resealed} finished={report.finished}"
    audit(session, actor, "rotate_keys", "key", None, at=now, detail=detail[:200])
