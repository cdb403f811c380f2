"""A group session end to end, on both transports: ten people ticked at once, one summary, one
confirmation, ten records; the real clients over HTTP to the local Bot API server."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from bot.db import Database
from models.clock import FrozenClock
from models.records import Record, RecordKind
from tests.e2e.harness import TRANSPORTS, User, local_api, start_bot
from tests.integration.reminders_city import at, build_city

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)

NOW = at(date(2026, 3, 4), time(10))  # a Wednesday


async def test_ten_people_in_one_group_session_get_a_record_each(
    db: Database, db_url: str, transport: str
) -> None:
    city = build_city(db)
    for _ in range(10):
        city.person(created=at(date(2026, 2, 1)))
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(NOW))
        try:
            worker = User(api, running, city.worker.telegram_user_id)
            await worker.say("/group")
            assert "请勾选参加的对象" in worker.last_text()
            assert all(len(m.buttons) <= 12 for m in api.transcript(worker.user_id))
            for label in ("全选", "下一步", "集中法制教育", "禁毒法律法规", "今天", "跳过"):
                await worker.press(label)
            assert "10 人" in worker.last_text() and "请确认" in worker.last_text()
            await worker.press("确认")
            assert "已保存" in worker.last_text()
        finally:
            await running.stop()
    with db.unit_of_work() as s:
        people = s.scalars(select(Record.person_id).where(Record.kind == RecordKind.education)).all()
    assert sorted(people) == sorted(p.id for p in city.people)
