"""Sealed fields of rows, and the check that the key ring is the one this database was sealed with.

Each value is bound to its table, field and row id (models.crypto.Slot), so a new row gets its id
first (a flush) and its values sealed after. Each key id has a check value in `key_checks`, made by
the first process that used the key: a process whose key calls itself `k1` but is not the `k1`
the values were sealed with stops at start-up, and before it seals anything, with one line naming
the key id, instead of writing values that no key opens any more.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import LargeBinary, String, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base
from models.crypto import KeyRing, Slot, WrongKey


class KeyCheck(Base):
    """A value only the key with this id opens (its key check value); the key itself is never stored."""

    __tablename__ = "key_checks"

    kid: Mapped[str] = mapped_column(String(32), primary_key=True)
    check_value: Mapped[bytes] = mapped_column(LargeBinary)


class KeyMismatch(WrongKey):
    """A key of the ring is not the key its id named when this database first used it."""


_CHECKED = "gridcare.key_ring_checked"


def _mismatch(kid: str) -> KeyMismatch:
    return KeyMismatch(
        f"key {kid!r} of GRIDCARE_SECRET_KEY is not the key {kid!r} this database was sealed with: "
        "use the right key (key ids are never reused: a new key needs a new id)"
    )


def check_ring(session: Session, keys: KeyRing) -> None:
    """Verify every key of the ring against its check value; record one for a key id new here.

    Once per unit of work (the session remembers the ring it checked). Raises KeyMismatch."""
    if session.info.get(_CHECKED) == keys:
        return
    for kid in keys.kids:
        stored = session.scalar(select(KeyCheck.check_value).where(KeyCheck.kid == kid))
        if stored is None:
            row = {"kid": kid, "check_value": keys.check_value(kid)}
            dialect = session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            # Two processes starting at once with different keys named alike: the second reads the first's.
            session.execute(insert(KeyCheck).values(row).on_conflict_do_nothing(index_elements=["kid"]))
            stored = session.scalar(select(KeyCheck.check_value).where(KeyCheck.kid == kid))
        if stored is None or not keys.matches(kid, bytes(stored)):
            raise _mismatch(kid)
    session.info[_CHECKED] = keys


def check_ring_at_start(session: Session, keys: KeyRing) -> None:
    """`check_ring` for a process starting: nothing to check before `db upgrade` made the table."""
    if inspect(session.connection()).has_table(KeyCheck.__tablename__):
        check_ring(session, keys)


class Row(Protocol):
    __tablename__: str
    id: int


def slot(row: Row, field: str) -> Slot:
    """The slot of a row's field (the row must have its id: flush a new one first)."""
    if row.id is None:
        raise ValueError(f"a new {row.__tablename__} row has no id yet: flush it before sealing")
    return Slot(row.__tablename__, field, row.id)


def seal_fields(session: Session, keys: KeyRing, row: Row, values: dict[str, str | None]) -> None:
    """Seal `values` (field → plaintext) into the row's `<field>_enc` columns, checking the ring first."""
    check_ring(session, keys)
    if row.id is None:
        session.flush()  # the id is part of what each value is bound to
    for field, value in values.items():
        setattr(row, f"{field}_enc", keys.seal(value, slot(row, field)))


def open_field(keys: KeyRing, row: Row, field: str) -> str | None:
    """The plaintext of a row's sealed field (None if none)."""
    return keys.open(getattr(row, f"{field}_enc"), slot(row, field))


def ring_state(session: Session, keys: KeyRing) -> dict[str, bool | None]:
    """Each key id of the ring against its stored check value, changing nothing (`gridcare doctor`):
    True it matches, False it does not (the wrong key), None no check value yet (a new key id)."""
    stored = {kid: value for kid, value in session.execute(select(KeyCheck.kid, KeyCheck.check_value))}
    return {kid: None if kid not in stored else keys.matches(kid, bytes(stored[kid])) for kid in keys.kids}
