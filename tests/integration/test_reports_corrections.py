"""Correcting and voiding within 24 hours: history kept, nothing deleted, everything audited."""

from __future__ import annotations

from datetime import timedelta

from models.clock import FrozenClock
from tests.integration.test_reports_support import USERS, audits, chat_as, city, outbox, records, tap


async def _note(chat, person_id: int, text: str) -> None:
    await chat.press(f"r:note:{person_id}")
    await chat.say(text)
    await tap(chat, "确认")


async def test_a_correction_is_a_new_record_pointing_at_the_voided_old_one(db, keys, now):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    chat = chat_as(db, clock, "W-1")
    await _note(chat, ids["P-MINE"], "写错了")
    clock.advance(timedelta(hours=23))
    await tap(chat, "更正")
    assert "更正记录 #1" in chat.texts()[0]
    await chat.say("改正后的内容")
    await tap(chat, "确认")
    old, new = records(db)
    assert (old.voided, old.void_reason, old.notes) == (True, "corrected", "写错了")
    assert (new.voided, new.corrects_id, new.notes) == (False, old.id, "改正后的内容")
    assert [(a.record_id, a.detail) for a in audits(db, "correct")] == [(old.id, f"corrected_by={new.id}")]
    await chat.say("/history P-MINE")
    assert "已更正" in chat.texts()[0] and "更正 #1" in chat.texts()[0]


async def test_after_24_hours_the_author_can_no_longer_correct_or_void(db, keys, now):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    chat = chat_as(db, clock, "W-1")
    await _note(chat, ids["P-MINE"], "记录")
    correct, void = chat.button("更正"), chat.button("作废")
    clock.advance(timedelta(hours=24, minutes=1))
    for data in (correct, void):
        await chat.press(data)
        assert "超过 24 小时" in chat.toast()
    assert not records(db)[0].voided


async def test_a_correction_saved_after_the_window_closed_is_refused(db, keys, now):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    chat = chat_as(db, clock, "W-1")
    await _note(chat, ids["P-MINE"], "记录")
    clock.advance(timedelta(hours=23))
    await tap(chat, "更正")
    await chat.say("晚了的更正")
    clock.advance(timedelta(hours=2))
    await tap(chat, "确认")
    assert "超过 24 小时" in chat.texts()[0]
    assert [r.notes for r in records(db)] == ["记录"]


async def test_the_window_runs_from_the_first_version_not_the_last_correction(db, keys, now):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    chat = chat_as(db, clock, "W-1")
    await _note(chat, ids["P-MINE"], "第一版")
    clock.advance(timedelta(hours=20))
    await tap(chat, "更正")
    await chat.say("第二版")
    await tap(chat, "确认")
    clock.advance(timedelta(hours=5))
    await tap(chat, "更正")
    assert "超过 24 小时" in chat.toast()


async def test_voiding_asks_why_and_keeps_the_record(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await _note(chat, ids["P-MINE"], "记录")
    void = chat.button("作废")
    await chat.press(void)
    await chat.say(" ")
    assert "不能为空" in chat.texts()[0]
    await chat.say("原" * 101)
    assert "内容过长" in chat.texts()[0]
    await chat.say("对象当天不在家")
    await tap(chat, "确认")
    assert "已作废" in chat.texts()[0]
    [record] = records(db)
    assert (record.voided, record.void_reason) == (True, "对象当天不在家")
    assert [a.record_id for a in audits(db, "void")] == [record.id]
    await chat.press(void)
    assert chat.toast() == "该记录已经更正或作废过了。"


async def test_correcting_a_positive_test_to_negative_withdraws_the_alert(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:drug_test:{ids['P-MINE']}")
    for label in ("尿液", "快速", "阳性", "冰毒", "跳过", "今天", "跳过", "确认"):
        await tap(chat, label)
    await tap(chat, "更正")
    for label in ("尿检快检阴性", "跳过", "确认"):
        await tap(chat, label)
    rows = outbox(db)
    alerts = [r for r in rows if r.dedupe_key.startswith("report-alert")]
    retracted = [r for r in rows if r.dedupe_key.startswith("report-retract")]
    assert len(alerts) == 3 and len(retracted) == 3
    assert sorted(r.chat_id for r in retracted) == [USERS["W-C"], USERS["W-P"], USERS["W-S"]]
    assert "更正" in retracted[0].payload["text"]
    assert [(r.result, r.voided) for r in records(db)] == [("positive", True), ("negative", False)]


async def test_a_correction_is_late_only_if_the_first_version_was(db, keys, now):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    chat = chat_as(db, clock, "W-1")
    await chat.press(f"r:education:{ids['P-MINE']}")
    for label in ("个别", "禁毒法律法规", "昨天", "跳过", "确认"):  # filed 22 hours after noon yesterday
        await tap(chat, label)
    clock.advance(timedelta(hours=20))
    await tap(chat, "更正")
    await tap(chat, "集中")
    await tap(chat, "禁毒法律法规")
    await chat.say("3-3")  # the same day, now 50 hours ago
    await tap(chat, "跳过")
    await tap(chat, "确认")
    assert [(r.late, r.voided) for r in records(db)] == [(False, True), (False, False)]
