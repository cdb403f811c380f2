"""Appointments, the 未见到本人 visit and a tip 已受理 end to end, on both transports: the real
clients, HTTP, the local Bot API server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.casework import Appointment
from models.clock import FrozenClock
from models.family import Tip
from models.people import FamilyMember
from models.records import Record
from tests.e2e.harness import TRANSPORTS, User, local_api, start_bot
from tests.e2e.test_family import _arrives, _drain, _join
from tests.integration.family_city import FAMILY, POLICE, build_city
from tests.integration.test_reports_support import USERS, city

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


async def test_a_worker_books_the_meeting_from_the_card_in_two_taps(db, db_url, keys, now, transport):
    ids = city(db, keys, now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            worker = User(api, running, USERS["W-1"])
            await worker.say("/my")
            await worker.press("P-MINE")
            await worker.press("📅 约见")
            await worker.press("周五 3/6 14:30")
            assert "已约见" in worker.last_text() and "3月6日 星期五 14:30" in worker.last_text()
            await worker.press("改地点")
            await worker.press("工作站")
            assert "工作站" in worker.last_text()
            await worker.press("查看档案")
            assert "📅 下次约见：3月6日 星期五 14:30 · 工作站" in worker.last_text()
        finally:
            await running.stop()
    with db.unit_of_work() as s:
        [booked] = s.scalars(select(Appointment)).all()
        assert (booked.person_id, booked.place, booked.cancelled_at) == (ids["P-MINE"], "station", None)


async def test_a_visit_that_did_not_find_the_person_is_recorded_as_not_met(db, db_url, keys, now, transport):
    ids = city(db, keys, now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            worker = User(api, running, USERS["W-1"])
            await worker.say("/my")
            await worker.press("P-MINE")
            for label in ("🏠 走访", "未见到本人", "不在家", "今天", "跳过", "跳过", "确认"):
                await worker.press(label)
            assert "已保存" in worker.last_text() and "未见到本人（不在家）" in worker.last_text()
        finally:
            await running.stop()
    with db.unit_of_work() as s:
        [record] = s.scalars(select(Record)).all()
        assert (record.person_id, record.result, record.details["reason"]) == (
            ids["P-MINE"],
            "not_met",
            "not_home",
        )


async def test_police_take_up_a_tip_and_the_family_is_thanked_without_details(
    db, db_url, keys, now, transport
):
    build_city(db, keys, now)
    clock = FrozenClock(now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        try:
            users = await _join(db, api, running, now, codes=("W-1", "W-POLICE"))
            family, police = users[FAMILY], users[POLICE]
            await family.say("/meetings")
            await family.press("面谈提醒")
            assert "已开启面谈提醒" in family.last_text()
            await family.say("/tip")
            await family.say("幸福路3号楼有人深夜交易")
            await family.press("跳过")
            await family.press("确认")
            await _drain(db, running, clock)
            await _arrives(api, POLICE, "深夜交易")
            await police.press("已受理")
            assert "已受理线索" in police.last_text()
            await _drain(db, running, clock)
            thanked = await _arrives(api, FAMILY, "已被警方受理")
            toast = await police.press("已受理")
            assert "已由" in toast
        finally:
            await running.stop()
    assert thanked == "您提供的线索已被警方受理，感谢您的协助。"
    with db.unit_of_work() as s:
        assert s.scalar(select(Tip.taken_up_at)) == now
        assert s.scalar(
            select(FamilyMember.appointment_reminders).where(FamilyMember.telegram_user_id == FAMILY)
        )
