"""/history, /report and /export without an argument offer what they need as buttons, and each
press is checked again on the server like any other button: another caller's button, or a role
without the right, is refused."""

from __future__ import annotations

import pytest

from handlers.events import AnswerCallback, Send, SendDocument
from models.audit import Actor
from models.clock import FrozenClock
from models.people import Person
from models.services.directory.invites import invite_worker
from tests.integration import digest_city
from tests.integration.test_reports_support import chat_as, city, tap
from tests.support.chat import CoreChat, build_core

NOT_ALLOWED = "您没有权限进行此操作。"


def _refused(chat: CoreChat) -> bool:
    answers = [a for a in chat.last if isinstance(a, AnswerCallback)]
    return len(answers) == 1 and answers[0].text == NOT_ALLOWED and not chat.texts()


def _documents(chat: CoreChat) -> list[SendDocument]:
    return [a for a in chat.last if isinstance(a, SendDocument)]


# -- /history -----------------------------------------------------------------------------------


async def test_history_alone_offers_the_callers_people_and_a_press_shows_the_history(db, keys, now):
    ids = city(db, keys, now)
    with db.unit_of_work() as s:
        s.get(Person, ids["P-MINE"]).name = "O'Neil <b>&"
    chat = chat_as(db, FrozenClock(now), "W-1")

    await chat.say("/history")

    assert "/history P-MINE" in chat.texts()[0]
    labels = [b.text for a in chat.last for row in getattr(a, "buttons", ()) for b in row]
    assert labels == ["P-MINE O'Neil <b>&"]  # only W-1's own person, the name as typed
    await tap(chat, "P-MINE")
    assert "P-MINE" in chat.texts()[0] and "共 0 条" in chat.texts()[0]


async def test_a_history_button_for_someone_outside_the_callers_rights_is_refused(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-X")  # another city's worker

    await chat.press(f"h:{ids['P-MINE']}:0")

    assert _refused(chat)


async def test_history_alone_without_a_caseload_gives_no_made_up_code(db, keys, now):
    city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-S")  # a supervisor: cards by code, no caseload

    await chat.say("/history")

    assert "P-001" not in chat.texts()[0] and not [a for a in chat.last if getattr(a, "buttons", ())]


# -- /report and /export --------------------------------------------------------------------------


@pytest.fixture
def town(db, keys):
    with db.unit_of_work() as s:
        return digest_city.build_city(s, keys)


async def _linked(db, code: str, user_id: int) -> CoreChat:
    invite = db.call(invite_worker, code, actor=Actor.cli(), now=digest_city.NOW)
    chat = CoreChat(build_core(db, FrozenClock(digest_city.NOW)), user_id)
    await chat.say(f"/start {invite.code}")
    return chat


async def test_report_alone_offers_this_week_and_this_month_of_the_callers_area(db, town):
    chat = await _linked(db, "S-COM", 7001)

    await chat.say("/report")

    text = chat.texts()[0]
    assert (
        "/report 周报" in text and "/report 月报" in text and "T-COM" in text
    )  # keywords and a code that work
    com = town.areas["COM"].id
    assert chat.button("本周") == f"dg:{com}:w20260304" and chat.button("本月") == f"dg:{com}:m20260304"
    await tap(chat, "本周")
    assert "周报 · 测试社区" in chat.texts()[0]
    await chat.say("/report")
    await tap(chat, "本月")
    assert "月报 · 测试社区" in chat.texts()[0]


async def test_a_report_button_of_another_area_is_refused(db, town):
    chat = await _linked(db, "S-COM", 7001)
    await chat.say("/report")
    button = chat.button("本周")
    outsider = await _linked(db, "S-CTY2", 7002)  # the other county: T-COM is not theirs

    await outsider.press(button)

    assert _refused(outsider)


async def test_the_keywords_the_usage_text_gives_work(db, town):
    chat = await _linked(db, "S-COM", 7001)

    await chat.say("/report 周报 T-COM")
    assert "周报 · 测试社区" in chat.texts()[0]
    await chat.say("/export 月报")
    assert [d.filename for d in _documents(chat)] == ["gridcare-T-COM-month-2026-03-04.xlsx"]


async def test_export_alone_offers_this_week_and_this_month_and_a_press_sends_the_file(db, town):
    chat = await _linked(db, "S-COM", 7001)

    await chat.say("/export")

    assert "/export 周报" in chat.texts()[0] and not _documents(chat)
    assert chat.button("导出本周") == "ex:w20260304"
    await tap(chat, "导出本周")
    (document,) = _documents(chat)
    assert document.filename == "gridcare-T-COM-week-2026-03-04.xlsx"
    await chat.say("/export")
    await tap(chat, "导出本月")
    assert [d.filename for d in _documents(chat)] == ["gridcare-T-COM-month-2026-03-04.xlsx"]


async def test_an_export_button_is_refused_to_a_role_that_may_not_export(db, town):
    worker = await _linked(db, "WA", 7003)  # a grid worker

    await worker.press("ex:w20260304")

    assert not _documents(worker) and worker.toast() == NOT_ALLOWED


@pytest.mark.parametrize("junk", ["ex:", "ex:d20260304", "ex:w2026", "ex:w20260305", "ex:x20260304"])
async def test_an_export_button_that_is_junk_or_in_the_future_sends_nothing(db, town, junk):
    chat = await _linked(db, "S-COM", 7001)

    await chat.press(junk)

    assert not _documents(chat) and chat.toast() == "该按钮已失效。"
    assert not [a for a in chat.last if isinstance(a, Send)]
