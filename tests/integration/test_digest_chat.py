"""Supervisors in the chat: /digest, drill-down buttons and their re-checks against the subtree."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.events import AnswerCallback, Send, SendPhoto
from models.audit import Actor, AuditEntry
from models.clock import FrozenClock
from models.services.directory.invites import invite_worker
from tests.integration.digest_city import NOW, build_city
from tests.support.chat import CoreChat, build_core

NOT_ALLOWED = "您没有权限进行此操作。"


@pytest.fixture
def city(db, keys):
    with db.unit_of_work() as s:
        return build_city(s, keys)


async def _linked(db, code: str, user_id: int) -> CoreChat:
    invite = db.call(invite_worker, code, actor=Actor.cli(), now=NOW)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), user_id)
    await chat.say(f"/start {invite.code}")
    return chat


def _photos(chat: CoreChat) -> list[SendPhoto]:
    return [a for a in chat.last if isinstance(a, SendPhoto)]


def _refused(chat: CoreChat) -> bool:
    answers = [a for a in chat.last if isinstance(a, AnswerCallback)]
    return (
        len(answers) == 1 and answers[0].alert and not any(isinstance(a, Send | SendPhoto) for a in chat.last)
    )


async def test_digest_command_sends_the_chart_then_the_text_with_drill_down_buttons(db, city):
    chat = await _linked(db, "S-COM", 7001)
    await chat.say("/digest")
    (photo,) = _photos(chat)
    assert photo.data and photo.data.startswith(b"\x89PNG") and "测试社区" in (photo.caption or "")
    assert chat.last.index(photo) < chat.last.index(next(a for a in chat.last if isinstance(a, Send)))
    (text,) = chat.texts()
    assert "每日汇总 · 测试社区" in text and "TP03" in text
    assert "测试对象" not in text  # people by code only: no names on a lock screen
    g1 = city.areas["G1"].id
    assert chat.button("第一网格") == f"dg:{g1}:d20260304"
    assert chat.button("👤 WB · 逾期 2").startswith(f"dw:{city.workers['WB'].id}:")  # TP03, TP04
    assert chat.button("待审核").startswith("rq:")


async def test_a_child_areas_digest_opens_from_its_button(db, city):
    chat = await _linked(db, "S-COM", 7001)
    await chat.say("/digest")
    await chat.press(chat.button("第一网格"))
    assert "每日汇总 · 第一网格" in chat.texts()[0]
    assert _photos(chat)


async def test_a_workers_overdue_people_open_by_code(db, city):
    chat = await _linked(db, "S-COM", 7001)
    await chat.say("/digest")
    await chat.press(chat.button("WB"))
    (text,) = chat.texts()
    assert "WB" in text and "TP03" in text and "TP04" in text and "63" in text
    assert "测试对象" not in text


async def test_a_persons_name_shows_only_when_the_supervisor_opens_the_card(db, city):
    chat = await _linked(db, "S-COM", 7001)
    await chat.say("/digest")
    tp03 = city.persons["TP03"]
    assert chat.button("📇 TP03") == f"p:{tp03.id}"
    await chat.press(chat.button("WB"))
    await chat.press(chat.button("📇 TP03"))
    assert tp03.name in " ".join(chat.texts())


async def test_a_county_supervisor_cannot_drill_into_another_county(db, city):
    chat = await _linked(db, "S-CTY2", 7002)
    own_com = city.areas["COM2"].id
    await chat.press(f"dg:{own_com}:d20260304")
    assert "另一社区" in chat.texts()[0]
    for data in (
        f"dg:{city.areas['COM'].id}:d20260304",  # another county's community
        f"dg:{city.areas['CTY'].id}",
        f"dg:{city.areas['CITY'].id}:d20260304",  # above their own area
        f"dw:{city.workers['WA'].id}:20260304",  # another county's worker
        f"dw:{city.workers['S-CITY'].id}",
    ):
        await chat.press(data)
        assert _refused(chat) and chat.toast() == NOT_ALLOWED, data


async def test_forged_and_malformed_drill_down_data_is_refused_and_reveals_nothing(db, city):
    chat = await _linked(db, "S-CITY", 7003)
    for data in (
        "dg:99999",
        "dg:abc",
        "dg:-1",
        "dg:",
        f"dg:{city.areas['COM'].id}:x20260304",
        f"dg:{city.areas['COM'].id}:d20990101",  # the future
        "dg:123456789012345678901234567890",
        "dw:99999",
        "dw:1e3",
        f"dw:{city.workers['WA'].id}:notadate",
        "rq:99999:0",
        "rv:99999:ok:1",
        "rv:1:maybe:1",
    ):
        await chat.press(data)
        assert _refused(chat) and chat.toast() == NOT_ALLOWED, data


async def test_refused_drill_downs_are_audited(db, city):
    chat = await _linked(db, "S-CTY2", 7002)
    await chat.press(f"dg:{city.areas['COM'].id}:d20260304")
    with db.unit_of_work() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "refused")).one()
    assert (entry.record_type, entry.record_id, entry.detail) == ("area", city.areas["COM"].id, "view_digest")


async def test_a_grid_worker_gets_no_digest(db, city):
    invite = db.call(invite_worker, "WC", actor=Actor.cli(), now=NOW)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), 7100)
    await chat.say(f"/start {invite.code}")
    await chat.say("/digest")
    assert chat.texts() == [NOT_ALLOWED] and not _photos(chat)
    await chat.press(f"dg:{city.areas['G3'].id}")
    assert _refused(chat)


async def test_digest_for_a_past_day_and_refusal_of_a_future_one(db, city):
    chat = await _linked(db, "S-COM", 7001)
    await chat.say("/digest 2026-03-03")
    assert "2026年3月3日" in chat.texts()[0]
    await chat.say("/digest 2026-03-05")
    assert "未来" in chat.texts()[0] and not _photos(chat)


async def test_report_covers_the_week_of_a_child_area_by_code_and_refuses_a_foreign_code(db, city):
    chat = await _linked(db, "S-COM", 7001)
    await chat.say("/report week T-G1")
    assert "周报 · 第一网格" in chat.texts()[0] and _photos(chat)
    await chat.say("/report month")
    assert "月报 · 测试社区" in chat.texts()[0] and "本月应完成" in chat.texts()[0]
    for text in ("/report week T-G3", "/report week T-CITY", "/report week NOPE"):
        await chat.say(text)
        assert chat.texts() == [NOT_ALLOWED] and not _photos(chat), text
    await chat.say("/report year")
    assert "用法" in chat.texts()[0]


async def test_names_in_the_digest_are_escaped(db, city):
    with db.unit_of_work() as s:
        s.get(type(city.areas["COM"]), city.areas["COM"].id).name = "<b>社区</b> & 1"
    chat = await _linked(db, "S-COM", 7001)
    await chat.say("/digest")
    assert "&lt;b&gt;社区&lt;/b&gt; &amp; 1" in chat.texts()[0]
    assert "&lt;b&gt;社区&lt;/b&gt; &amp; 1" in (_photos(chat)[0].caption or "")  # captions are HTML too


async def test_the_digest_names_workers_by_masked_name_and_code(db, city):
    from handlers.render import masked

    chat = await _linked(db, "S-COM", 7001)
    await chat.say("/digest")
    (text,) = chat.texts()
    worker = city.workers["WB"]
    assert f"（网格员 {masked(worker.name)}（WB））" in text  # as pushes name people: 张**（W-001）
    assert worker.name not in text
    await chat.press(chat.button("WB"))
    assert f"{masked(worker.name)}（WB）" in chat.texts()[0] and worker.name not in chat.texts()[0]
