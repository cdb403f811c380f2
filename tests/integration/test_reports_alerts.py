"""Alerts at once: positive, refused and missed tests and relapse signs reach cadre, police, supervisor."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from models.clock import FrozenClock
from models.people import Worker
from tests.integration.test_reports_support import USERS, chat_as, city, outbox, records, tap


async def _test(db, now, ids, result: str, author: str = "W-1") -> None:
    chat = chat_as(db, FrozenClock(now), author)
    await chat.press(f"r:drug_test:{ids['P-MINE']}")
    for label in ("尿液", "快速", result):
        await tap(chat, label)
    if result == "阳性":
        await tap(chat, "冰毒")
        await tap(chat, "跳过")
    await tap(chat, "今天")
    while "跳过" in str(chat.last):  # notes and kit photo, as the result asks
        await tap(chat, "跳过")
    await tap(chat, "确认")


async def test_positive_test_alerts_cadre_police_and_the_nearest_supervisor_once(db, keys, now):
    ids = city(db, keys, now)
    await _test(db, now, ids, "阳性")
    rows = outbox(db)
    assert sorted(r.chat_id for r in rows) == [USERS["W-C"], USERS["W-P"], USERS["W-S"]]
    assert all(r.urgent and r.purpose == "alert" for r in rows)
    text = rows[0].payload["text"]
    assert "P-MINE" in text and "阳性" in text and "甲基苯丙胺" in text
    assert "测试对象" not in text  # the lock screen shows a code, never a name
    assert rows[0].payload["buttons"] == [[["👤 查看档案", f"p:{ids['P-MINE']}"]]]


@pytest.mark.parametrize("result", ["拒绝", "未到场"])
async def test_refused_or_missed_test_alerts_too(db, keys, now, result):
    ids = city(db, keys, now)
    await _test(db, now, ids, result)
    assert len(outbox(db)) == 3


@pytest.mark.parametrize("result", ["阴性", "无效"])
async def test_negative_or_invalid_test_alerts_nobody(db, keys, now, result):
    ids = city(db, keys, now)
    await _test(db, now, ids, result)
    assert outbox(db) == [] and len(records(db)) == 1


async def test_the_author_is_not_alerted_and_unlinked_staff_are_skipped(db, keys, now):
    ids = city(db, keys, now)
    with db.unit_of_work() as s:
        s.execute(update(Worker).where(Worker.code == "W-P").values(telegram_user_id=None))
    await _test(db, now, ids, "阳性", author="W-C")  # the cadre is on the team: they may file too
    assert [r.chat_id for r in outbox(db)] == [USERS["W-S"]]


async def test_an_alert_is_written_in_the_recipients_language(db, keys, now):
    ids = city(db, keys, now)
    with db.unit_of_work() as s:
        s.execute(update(Worker).where(Worker.code == "W-P").values(locale="en"))
    await _test(db, now, ids, "阳性")
    [police] = [r for r in outbox(db) if r.chat_id == USERS["W-P"]]
    assert "Drug test alert" in police.payload["text"] and "Methamphetamine" in police.payload["text"]


async def test_relapse_signs_on_a_visit_alert_and_suggest_a_test(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:visit:{ids['P-MINE']}")
    for label in ("入户见面", "今天", "有吸毒迹象", "无变化", "无变化", "有接触"):
        await tap(chat, label)
    await tap(chat, "跳过")
    await tap(chat, "跳过")
    await tap(chat, "确认")
    saved = chat.texts()[0]
    assert "🚨 已立即通知：测*" in saved and "（社区专干）、测*" in saved and "（民警）、测*" in saved
    assert "（督导）。" in saved and "未能通知" not in saved
    assert chat.button("检测") == f"r:drug_test:{ids['P-MINE']}"
    texts = [r.payload["text"] for r in outbox(db)]
    assert len(texts) == 3 and "有吸毒迹象" in texts[0] and "与吸毒人员有接触" in texts[0]


async def test_voiding_an_alerting_test_tells_the_same_people(db, keys, now):
    ids = city(db, keys, now)
    await _test(db, now, ids, "阳性")
    [record] = records(db)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"rc:{record.id}:v")
    await tap(chat, "重复提交")
    await tap(chat, "确认")
    retractions = [r for r in outbox(db) if r.dedupe_key.startswith("report-retract")]
    assert sorted(r.chat_id for r in retractions) == [USERS["W-C"], USERS["W-P"], USERS["W-S"]]
    assert "作废" in retractions[0].payload["text"]
