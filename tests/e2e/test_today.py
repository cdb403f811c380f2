"""Reminders end to end, on both transports: /today with "why", the morning list delivered by the
sender and ticked off in place, and /settings; the real clients over HTTP to the local Bot API."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.db import Database
from handlers.reminders.jobs import morning, refresh_worker
from handlers.render import masked
from models.clock import FrozenClock
from tests.e2e.harness import TRANSPORTS, User, local_api, start_bot
from tests.integration.reminders_city import City, at, build_city
from tests.support.outbox import until

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)

NOW = at(date(2026, 3, 4), time(10))  # a Wednesday


def _city(db: Database) -> City:
    city = build_city(db)
    city.person(created=at(date(2026, 2, 1)))
    return city


async def test_today_lists_the_work_and_why_explains_an_item(
    db: Database, db_url: str, transport: str
) -> None:
    city = _city(db)
    person = city.people[0]
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(NOW))
        try:
            worker = User(api, running, city.worker.telegram_user_id)
            await worker.say("/today")
            assert "今日待办" in worker.last_text() and person.code in worker.last_text()
            assert masked(person.name) + f"（{person.code}）" in worker.last_text()
            await worker.press(person.code)  # an item: why it is due, and its report a tap away
            assert "为什么要做这项工作" in worker.last_text() and "蓝色" in worker.last_text()
            await worker.say("/settings")
            await worker.press("09:30")
            assert "09:30" in worker.last_text()
        finally:
            await running.stop()


async def test_the_morning_list_arrives_and_is_ticked_off_in_place(
    db: Database, db_url: str, transport: str
) -> None:
    city = _city(db)
    person = city.people[0]
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(NOW))
        try:
            chat = city.worker.telegram_user_id

            def morning_texts() -> list[str]:
                return [m.text or "" for m in api.transcript(chat) if "早上好" in (m.text or "")]

            assert city.run(morning, NOW) == 1
            running.bot.sender.wake()
            await until(lambda: len(morning_texts()) == 1, what="the morning list")
            assert person.code in morning_texts()[0] and person.name not in morning_texts()[0]
            city.meet(person, NOW)
            assert city.run(refresh_worker, NOW, city.worker.id) == 1
            running.bot.sender.wake()
            await until(lambda: "今天已完成" in morning_texts()[0], what="the tick")
            assert len(morning_texts()) == 1  # edited in place, not a second message
        finally:
            await running.stop()


async def test_a_half_filled_form_is_listed_in_today_and_resumed_from_it(
    db: Database, db_url: str, transport: str
) -> None:
    city = _city(db)
    person = city.people[0]
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(NOW))
        try:
            worker = User(api, running, city.worker.telegram_user_id)
            await worker.say("/note")
            await worker.press(person.code)
            await worker.say("/today")
            assert "未完成的草稿" in worker.last_text() and "工作记录" in worker.last_text()
            await worker.press("✏️ 工作记录")
            assert "请输入工作记录内容" in worker.last_text()
            await worker.say("written after /today")
            assert "written after /today" in worker.last_text()
        finally:
            await running.stop()


async def test_the_rest_of_a_long_list_is_one_button_away(db: Database, db_url: str, transport: str) -> None:
    city = build_city(db)
    for _ in range(20):
        city.person(created=at(date(2026, 2, 1)))
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(NOW))
        try:
            worker = User(api, running, city.worker.telegram_user_id)
            await worker.say("/today")
            assert "未列出" in worker.last_text()
            await worker.press("查看其余")
            assert "第 9–16 项" in worker.last_text()
            assert all(len(m.buttons) <= 12 for m in api.transcript(worker.user_id))
        finally:
            await running.stop()
