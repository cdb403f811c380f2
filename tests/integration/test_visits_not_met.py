"""未见到本人: a visit that did not find the person is recorded, is no meeting, and twice in a row
alerts cadre and police that the person may have lost contact."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from models.alerts import AlertLog
from models.clock import FrozenClock
from models.people import Role, Worker
from models.policy import Policy
from models.schedule import Obligation
from models.services.obligations.due import person_obligations
from tests.integration.test_reports_support import USERS, chat_as, city, outbox, records, tap


async def _visit(db, now, person_id: int, *answers: str) -> str:
    """File a visit for the person through the chat; the saved message's text."""
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:visit:{person_id}")
    for label in answers:
        await tap(chat, label)
    while "跳过" in str(chat.last):  # notes, photo
        await tap(chat, "跳过")
    await tap(chat, "确认")
    return chat.texts()[0]


async def _not_met(db, now, person_id: int, reason: str = "不在家") -> str:
    return await _visit(db, now, person_id, "未见到本人", reason, "今天")


def _meeting_done(db, now, person_id: int) -> int:
    with db.unit_of_work() as s:
        policy = Policy()
        items = person_obligations(s, person_id, today=policy.local_date(now), policy=policy)
    return sum(i.done for i in items if i.obligation is Obligation.meeting)


async def test_a_not_met_visit_is_recorded_with_its_reason_and_is_no_meeting(db, keys, now):
    ids = city(db, keys, now)
    saved = await _not_met(db, now, ids["P-MINE"], "拒绝见面")
    [record] = records(db)
    assert record.kind == "visit" and record.result == "not_met" and record.details["reason"] == "refused"
    assert "✅ 已保存" in saved and "未见到本人（拒绝见面）" in saved and "不计入每周见面任务" in saved
    assert _meeting_done(db, now, ids["P-MINE"]) == 0
    assert outbox(db) == []  # once is no alert


async def test_a_met_visit_satisfies_the_meeting_where_a_not_met_one_does_not(db, keys, now):
    ids = city(db, keys, now)
    await _visit(db, now, ids["P-MINE"], "入户见面", "今天", "情况稳定", "无变化", "无变化", "未发现")
    assert _meeting_done(db, now, ids["P-MINE"]) == 1


async def test_two_not_met_visits_in_a_row_alert_cadre_and_police(db, keys, now):
    ids = city(db, keys, now)
    await _not_met(db, now - timedelta(days=1), ids["P-MINE"])
    saved = await _not_met(db, now, ids["P-MINE"], "已搬离")
    rows = outbox(db)
    assert sorted(r.chat_id for r in rows) == [USERS["W-C"], USERS["W-P"]]  # no supervisor
    assert all(r.urgent and r.purpose == "alert" for r in rows)
    assert "可能失联" in rows[0].payload["text"] and "P-MINE" in rows[0].payload["text"]
    assert "测试对象" not in rows[0].payload["text"]
    assert "🚨 已立即通知" in saved and "（社区专干）" in saved and "（民警）" in saved
    second = records(db)[-1]
    with db.unit_of_work() as s:
        [log] = s.scalars(select(AlertLog)).all()
        assert (log.kind, log.source_id, log.person_id) == ("not_met_twice", second.id, ids["P-MINE"])


async def test_a_met_visit_between_two_not_met_ones_raises_nothing(db, keys, now):
    ids = city(db, keys, now)
    await _not_met(db, now - timedelta(days=2), ids["P-MINE"])
    await _visit(
        db,
        now - timedelta(days=1),
        ids["P-MINE"],
        "电话联系",
        "今天",
        "情况稳定",
        "无变化",
        "无变化",
        "未发现",
    )
    await _not_met(db, now, ids["P-MINE"])
    assert outbox(db) == []


async def test_the_worker_is_told_when_nobody_could_be_alerted(db, keys, now):
    ids = city(db, keys, now)
    with db.unit_of_work() as s:
        s.execute(update(Worker).where(Worker.role == Role.police).values(telegram_user_id=None))
    await _not_met(db, now - timedelta(days=1), ids["P-MINE"])
    saved = await _not_met(db, now, ids["P-MINE"])
    assert "未能通知民警" in saved
    assert [r.chat_id for r in outbox(db)] == [USERS["W-C"]]


async def test_voiding_the_second_not_met_visit_tells_cadre_and_police(db, keys, now):
    ids = city(db, keys, now)
    await _not_met(db, now - timedelta(days=1), ids["P-MINE"])
    await _not_met(db, now, ids["P-MINE"])
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"rc:{records(db)[-1].id}:v")
    await tap(chat, "重复提交")
    await tap(chat, "确认")
    retractions = [r for r in outbox(db) if r.dedupe_key.startswith("report-retract")]
    assert sorted(r.chat_id for r in retractions) == [USERS["W-C"], USERS["W-P"]]  # as alerted: no supervisor
    assert "作废" in retractions[0].payload["text"]


async def test_voiding_a_lone_not_met_visit_tells_nobody(db, keys, now):
    ids = city(db, keys, now)
    await _not_met(db, now, ids["P-MINE"])
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"rc:{records(db)[-1].id}:v")
    await tap(chat, "重复提交")
    await tap(chat, "确认")
    assert outbox(db) == []
