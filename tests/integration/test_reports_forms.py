"""Every report form through the neutral core: each step's bad input is re-asked, the record lands right."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from models.clock import FrozenClock
from models.people import Person
from models.records import RecordKind
from tests.integration.test_reports_support import audits, chat_as, city, records, send_photo, tap

TOO_LONG = "字" * 1001


async def test_visit_form_reasks_every_bad_answer_and_saves_what_was_given(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.say("/visit")
    await chat.say("没这个人")
    assert "没有找到" in chat.texts()[0]
    await chat.say("p-mine")  # the code, typed in any case
    await chat.say("在家")  # a button step
    assert "请点击下方按钮" in chat.texts()[0]
    await tap(chat, "其他地点")
    await chat.say("  ")
    assert "不能为空" in chat.texts()[0]
    await chat.say("菜" * 101)
    assert "内容过长" in chat.texts()[0]
    await chat.say("菜市场门口")
    for bad, reason in (
        ("明年春天", "无法识别"),
        ("2026-03-05", "不能晚于今天"),
        ("2026-02-01", "最近 30 天"),
    ):
        await chat.say(bad)
        assert reason in chat.texts()[0], bad
    await chat.say("3月3日")
    await tap(chat, "令人担心")
    await tap(chat, "生活困难")
    await tap(chat, "在找工作")
    await tap(chat, "不清楚")
    await chat.say(TOO_LONG)
    assert "内容过长" in chat.texts()[0]
    await chat.say("家里有矛盾 <b>")
    await chat.say("没有照片")  # a photo step takes a photo or a skip
    assert "请点击下方按钮" in chat.texts()[0]
    await send_photo(chat, "photo-file-1")
    assert "请确认" in chat.texts()[0] and "&lt;b&gt;" in chat.texts()[0]
    await chat.say("好的")  # the summary takes buttons only
    await tap(chat, "确认")
    assert "已保存" in chat.texts()[0]
    [record] = records(db)
    assert (record.person_id, record.kind, record.subkind, record.place) == (
        ids["P-MINE"],
        RecordKind.visit,
        "elsewhere",
        "菜市场门口",
    )
    assert record.result == "worrying" and record.notes == "家里有矛盾 <b>"
    assert record.details == {"living": "difficult", "work": "seeking", "social": "unknown", "routine": False}
    assert record.photo_ref == "photo-file-1" and not record.late
    assert record.occurred_at == datetime(2026, 3, 3, 4, 0, tzinfo=UTC)  # noon in Shanghai
    assert [a.record_id for a in audits(db, "create") if a.record_type == "visit"] == [record.id]


async def test_routine_visit_takes_four_taps_from_the_card(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"p:{ids['P-MINE']}")
    for label in ("常规走访", "跳过", "跳过", "确认"):
        await tap(chat, label)
    assert "已保存" in chat.texts()[0]
    [record] = records(db)
    assert (record.subkind, record.result, record.occurred_at) == ("home", "stable", now)
    assert record.details["social"] == "none" and record.details["routine"] is True


async def test_a_date_before_the_programme_start_is_refused_and_not_offered(db, keys, now):
    ids = city(db, keys, now)
    with db.unit_of_work() as s:
        s.get(Person, ids["P-MINE"]).programme_start = date(2026, 3, 3)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:thought_report:{ids['P-MINE']}")
    assert "3月2日" not in str(chat.last) and "昨天" in str(chat.last)
    await chat.say("3-2")
    assert "早于该对象的社区戒毒" in chat.texts()[0]


async def test_positive_drug_test_records_sample_method_substances_and_kit_photo(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:drug_test:{ids['P-MINE']}")
    await chat.say("尿")
    assert "请点击下方按钮" in chat.texts()[0]
    for label in ("毛发", "实验室", "阳性", "冰毒", "K粉"):
        await tap(chat, label)
    await chat.say("3/32")
    assert "无法识别" in chat.texts()[0]
    await tap(chat, "今天")
    await send_photo(chat, "kit-1")
    await tap(chat, "确认")
    [record] = records(db)
    assert (record.kind, record.subkind, record.result) == (RecordKind.drug_test, "hair", "positive")
    assert record.details == {
        "method": "lab",
        "substances": ["methamphetamine", "ketamine"],
        "routine": False,
    }
    assert record.photo_ref == "kit-1"


async def test_refused_test_asks_what_happened_and_offers_no_kit_photo(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:drug_test:{ids['P-MINE']}")
    for label in ("尿液", "快速", "拒绝", "今天"):
        await tap(chat, label)
    await chat.say(" ")
    assert "不能为空" in chat.texts()[0]
    await chat.say("在家，拒绝检测")
    assert "请确认" in chat.texts()[0]
    await tap(chat, "确认")
    [record] = records(db)
    assert (record.result, record.notes, record.photo_ref) == ("refused", "在家，拒绝检测", None)


async def test_routine_negative_test_takes_three_taps(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:drug_test:{ids['P-MINE']}")
    for label in ("尿检快检阴性", "跳过", "确认"):
        await tap(chat, label)
    [record] = records(db)
    assert (record.subkind, record.result, record.details["method"]) == ("urine", "negative", "rapid_kit")


async def test_education_takes_a_typed_topic_within_limits(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:education:{ids['P-MINE']}")
    await tap(chat, "集中教育")
    await chat.say("题" * 61)
    assert "内容过长" in chat.texts()[0]
    await chat.say("   ")
    assert "不能为空" in chat.texts()[0]
    await chat.say("禁毒法第三十三条")
    await tap(chat, "昨天")
    await tap(chat, "跳过")
    await tap(chat, "确认")
    [record] = records(db)
    assert (record.kind, record.subkind, record.details) == (
        RecordKind.education,
        "group",
        {"topic": "禁毒法第三十三条"},
    )
    assert record.occurred_at.date() == date(2026, 3, 3)


async def test_written_thought_report_keeps_the_photo_and_the_points(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:thought_report:{ids['P-MINE']}")
    await chat.say("后天")
    assert "无法识别" in chat.texts()[0]
    await tap(chat, "今天")
    await tap(chat, "书面")
    await send_photo(chat, "pages-1")
    await chat.say(TOO_LONG)
    assert "内容过长" in chat.texts()[0]
    await chat.say("认识到错误，决心戒断")
    await tap(chat, "确认")
    [record] = records(db)
    assert (record.kind, record.subkind, record.photo_ref, record.notes) == (
        RecordKind.thought_report,
        "written",
        "pages-1",
        "认识到错误，决心戒断",
    )


async def test_assessment_score_must_be_a_whole_number_from_0_to_100(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:assessment:{ids['P-MINE']}")
    await tap(chat, "综合评估")
    await tap(chat, "今天")
    for bad in ("很好", "-1", "101", "88.5", " "):
        await chat.say(bad)
        assert "整数" in chat.texts()[0] or "不能为空" in chat.texts()[0], bad
    await chat.say("８５分")  # full-width digits and the unit are fine
    await chat.say(" ")
    assert "不能为空" in chat.texts()[0]
    await chat.say("表现稳定")
    await tap(chat, "保持现有分类")
    await tap(chat, "确认")
    [record] = records(db)
    assert (record.kind, record.subkind, record.score, record.result, record.notes) == (
        RecordKind.assessment,
        "comprehensive",
        85,
        None,
        "表现稳定",
    )


async def test_help_of_another_kind_must_say_what_it_was(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:help:{ids['P-MINE']}")
    await tap(chat, "其他帮扶")
    assert "跳过" not in str(chat.last)
    await chat.say(" ")
    assert "不能为空" in chat.texts()[0]
    await chat.say("联系临时救助")
    await tap(chat, "今天")
    await tap(chat, "确认")
    await chat.press(f"r:help:{ids['P-MINE']}")
    for label in ("低保", "跳过", "今天", "确认"):
        await tap(chat, label)
    assert [(r.subkind, r.notes) for r in records(db)] == [("other", "联系临时救助"), ("allowance", None)]


async def test_case_note_from_the_command_with_a_code(db, keys, now):
    city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.say("/note P-MINE")
    await chat.say("电话提醒周五尿检")
    await tap(chat, "确认")
    [record] = records(db)
    assert (record.kind, record.notes) == (RecordKind.note, "电话提醒周五尿检")


async def test_two_forms_that_drew_the_same_nonce_save_two_records(db, keys, now, monkeypatch):
    """The nonce in a form's buttons has six digits: over a worker's years of reports it repeats. A
    report must never be taken for a repeat of an earlier one because their forms drew the same."""
    city(db, keys, now)
    monkeypatch.setattr("models.services.conversations.secrets.randbelow", lambda _n: 424242)
    chat = chat_as(db, FrozenClock(now), "W-1")
    for text in ("第一条", "第二条"):
        await chat.say("/note P-MINE")
        await chat.say(text)
        await tap(chat, "确认")
    assert [r.notes for r in records(db)] == ["第一条", "第二条"]


async def test_a_half_filled_form_survives_a_new_core_and_saves_once(db, keys, now):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    chat = chat_as(db, clock, "W-1")
    await chat.press(f"r:visit:{ids['P-MINE']}")
    await tap(chat, "常规")
    restarted = chat_as(db, clock, "W-1")  # the process restarts: a fresh core, the same database
    await restarted.say("一切正常")
    await tap(restarted, "跳过")
    ok = restarted.button("确认")
    await restarted.press(ok, update_id=4_000_001)
    await restarted.press(ok, update_id=4_000_001)  # Telegram redelivers the same update
    await restarted.press(ok)  # and the worker taps twice
    assert restarted.toast() == "该按钮已失效。"
    assert [r.notes for r in records(db)] == ["一切正常"]


async def test_a_report_older_than_two_days_is_marked_late(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:education:{ids['P-MINE']}")
    await tap(chat, "个别")
    await tap(chat, "禁毒法律法规")
    await chat.say("3-1")  # noon on Sunday, filed Wednesday 10:00: 70 hours later
    await tap(chat, "跳过")
    await tap(chat, "确认")
    assert "补录" in chat.texts()[0]
    [record] = records(db)
    assert record.late and record.occurred_at == now - timedelta(hours=70)
