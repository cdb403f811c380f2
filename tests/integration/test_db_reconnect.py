"""A PostgreSQL connection the server ended: the next unit of work runs again on a fresh one, once.

No ping before each checkout (it cost a round trip per update): the pool recycles old connections,
and `Database.call` runs a unit of work again when its connection turns out dead before the commit.
These tests end the bot's connections on the real server (`pg_terminate_backend`).
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db import Database
from models.areas import Area, AreaLevel
from models.clock import FrozenClock
from models.records import Record, RecordKind
from tests.integration.test_core import _city, _linked_worker

pytestmark = pytest.mark.postgres  # SQLite has no connection to lose


def _end_connections(db: Database) -> int:
    """End every server process connected to the bot's database, as an administrator or a restart
    would, and wait until they are gone; how many there were."""
    url = db.engine.url
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return int(
                conn.scalar(
                    text(
                        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) "
                        "FROM pg_stat_activity WHERE datname = :name"
                    ),
                    {"name": url.database},
                )
            )
    finally:
        admin.dispose()


def _backend(session: Session) -> int:
    return int(session.execute(select(func.pg_backend_pid())).scalar_one())


def test_the_next_unit_of_work_after_the_server_ended_the_connection_succeeds_once(pg):
    before = pg.call(_backend)
    assert _end_connections(pg) >= 1
    attempts: list[int] = []

    def add_area(session: Session) -> int:
        attempts.append(_backend(session))
        session.add(Area(code="R1", name="重连", level=AreaLevel.city, path="/R1/"))
        return attempts[-1]

    after = pg.call(add_area)
    assert after != before and attempts == [after]  # the dead connection failed at once, before the add
    with pg.unit_of_work() as s:
        assert s.scalars(select(Area.code)).all() == ["R1"]  # written once


def test_a_dead_pooled_connection_is_met_and_the_work_runs_again(pg):
    pg.call(_backend)  # one connection in the pool
    _end_connections(pg)
    calls = []

    def work(session: Session) -> int:
        calls.append(1)
        return _backend(session)

    pg.call(work)
    assert len(calls) == 2  # no ping first: the first run met the dead connection, the second a new one


def test_an_error_that_is_not_a_lost_connection_is_not_retried(pg):
    calls = []

    def duplicate(session: Session) -> None:
        calls.append(1)
        session.add_all([Area(code="D", name="a", level="city", path="/D/") for _ in range(2)])

    with pytest.raises(IntegrityError):
        pg.call(duplicate)
    assert len(calls) == 1
    with pg.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Area)) == 0


async def test_a_note_saved_after_the_server_ended_the_bots_connections_is_saved_once(pg, keys, now):
    _city(pg, keys, now)
    chat = await _linked_worker(pg, now, FrozenClock(now))
    await chat.say("/note")
    await chat.press(chat.button("P-MINE"))
    await chat.say("重连之后")
    ok = chat.button("确认")
    assert _end_connections(pg) >= 1
    await chat.press(ok)
    assert "已保存" in chat.texts()[0]  # not the apology for an error
    with pg.unit_of_work() as s:
        records = s.scalars(select(Record)).all()
    assert [(r.kind, r.notes) for r in records] == [(RecordKind.note, "重连之后")]
