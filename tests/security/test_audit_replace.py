"""Issue 17.7: an audit entry cannot be rewritten by an insert that replaces or upserts it."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from models.audit import Actor, AuditEntry, audit

FORGED = "forged"

# SQLite replaces a row by deleting it, which does not fire the BEFORE DELETE trigger.
SQLITE_REWRITES = [
    "INSERT OR REPLACE INTO audit_log (id, at, actor_kind, action, record_type, detail) "
    "VALUES (:id, :at, 'cli', 'nothing', 'person', 'forged')",
    "REPLACE INTO audit_log (id, at, actor_kind, action, record_type, detail) "
    "VALUES (:id, :at, 'cli', 'nothing', 'person', 'forged')",
    "INSERT INTO audit_log (id, at, actor_kind, action, record_type, detail) "
    "VALUES (:id, :at, 'cli', 'nothing', 'person', 'x') ON CONFLICT (id) DO UPDATE SET detail = 'forged'",
]
POSTGRES_REWRITES = [
    "INSERT INTO audit_log (id, at, actor_kind, action, record_type, detail) "
    "VALUES (:id, :at, 'cli', 'nothing', 'person', 'x') "
    "ON CONFLICT (id) DO UPDATE SET detail = 'forged', action = 'nothing'",
]


def _entries(db) -> list[tuple]:
    with db.unit_of_work() as s:
        return [tuple(r) for r in s.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.detail))]


def test_an_insert_that_would_replace_an_audit_entry_is_refused(db, now):
    with db.unit_of_work() as s:
        audit(s, Actor.cli(), "reveal", "tip", 7, at=now, detail="tipster identity opened")
    before = _entries(db)
    entry_id = before[0][0]
    for statement in SQLITE_REWRITES if db.is_sqlite else POSTGRES_REWRITES:
        with pytest.raises(DBAPIError, match="append-only"), db.unit_of_work() as s:
            s.execute(text(statement), {"id": entry_id, "at": now.isoformat() if db.is_sqlite else now})
    assert _entries(db) == before


def test_new_entries_are_still_appended(db, now):
    with db.unit_of_work() as s:
        for n in range(3):
            audit(s, Actor.cli(), "read", "person", n, at=now)
    assert [action for _, action, _ in _entries(db)] == ["read"] * 3
