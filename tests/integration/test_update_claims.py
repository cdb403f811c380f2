"""The start of every update (models.services.updates.begin_update): an update id is claimed once
per bot; on PostgreSQL the claim also locks the chat until the unit of work ends, so one chat's
updates wait for each other across connections (bot processes) and another chat's do not."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from bot.db import Database
from models.chat import ProcessedUpdate
from models.services.updates import begin_update

NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
CHAT = 9_000_000_001  # beyond 32 bits, as Telegram's ids are


def test_an_update_is_claimed_once_per_bot(db: Database) -> None:
    assert db.call(begin_update, 1, 100, CHAT, now=NOW)
    assert not db.call(begin_update, 1, 100, CHAT, now=NOW)  # redelivered: handled already
    assert db.call(begin_update, 2, 100, CHAT, now=NOW)  # another bot's update of that number
    assert db.call(begin_update, 1, 101, CHAT, now=NOW)
    with db.unit_of_work() as s:
        rows = s.execute(
            select(ProcessedUpdate.bot_id, ProcessedUpdate.update_id, ProcessedUpdate.received_at)
        )
        assert sorted(rows) == [(1, 100, NOW), (1, 101, NOW), (2, 100, NOW)]


def _waiting_for_locks(db: Database) -> int:
    """Advisory locks waited for in this database (pg_locks shows the whole server's: other test
    workers' databases are on it too)."""
    waiting = (
        "locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(text("pg_locks")).where(text(waiting))) or 0)


@pytest.mark.postgres
def test_a_chats_updates_wait_for_the_one_in_progress(pg: Database) -> None:
    first, pool = pg.sessions(), ThreadPoolExecutor(2)
    try:
        assert begin_update(first, 1, 1, CHAT, now=NOW)  # in progress: its unit of work is open
        assert pg.call(begin_update, 1, 2, CHAT + 1, now=NOW)  # another chat goes ahead
        again = pool.submit(pg.call, begin_update, 1, 1, CHAT, now=NOW)  # the same update, redelivered
        deadline = time.monotonic() + 10
        while _waiting_for_locks(pg) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        later = pool.submit(pg.call, begin_update, 1, 3, CHAT, now=NOW)
        while _waiting_for_locks(pg) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_for_locks(pg) == 2  # both wait for the chat
        assert not again.done() and not later.done()
        first.commit()
        assert again.result(timeout=10) is False  # the first one handled it
        assert later.result(timeout=10) is True
    finally:
        first.close()  # before waiting for the threads: one may wait for this transaction
        pool.shutdown()
