"""Who may read and write what: a worker writes only for their caseload, a supervisor only reads."""

from __future__ import annotations

from sqlalchemy import delete, select

from models.clock import FrozenClock
from models.people import CareAssignment, Worker
from models.services.conversations import load_dialog
from tests.integration.test_reports_support import USERS, audits, chat_as, city, records, tap

NOT_ALLOWED = "您没有权限进行此操作。"


def _refusals(db, person_id, action):
    return [a for a in audits(db, "refused") if a.record_id == person_id and a.detail == action]


async def test_worker_cannot_start_a_report_for_someone_outside_the_caseload(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:visit:{ids['P-OTHER']}")
    assert chat.toast() == NOT_ALLOWED and not chat.texts()
    assert db.call(load_dialog, USERS["W-1"]) is None
    assert len(_refusals(db, ids["P-OTHER"], "write_record")) == 1


async def test_typed_code_outside_the_caseload_is_refused_like_an_unknown_one(db, keys, now):
    city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.say("/test P-OTHER")
    other = chat.texts()
    await chat.say("/test P-NOBODY")
    assert other == chat.texts() == ["没有找到该对象，或者您无权查看。"]
    assert len(audits(db, "refused")) == 2


async def test_forged_card_and_history_buttons_reveal_nothing(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    for data in (f"p:{ids['P-OTHER']}", "p:987654", f"h:{ids['P-FAR']}:0", "p:1;drop", "r:visit:x", "h:1"):
        await chat.press(data)
        assert not chat.texts(), data
        assert chat.toast() in (NOT_ALLOWED, "该按钮已失效。"), data
    assert "P-OTHER" not in str(chat.last)
    assert len(_refusals(db, ids["P-OTHER"], "view_card")) == 1


async def test_supervisor_reads_a_card_in_the_jurisdiction_but_never_writes(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-S")
    await chat.press(f"p:{ids['P-MINE']}")
    card = chat.texts()[0]
    assert "P-MINE" in card and "帮教小组" in card and "身份证" not in card
    assert all(b.data.startswith(("h:", "p:")) for row in chat.last[0].buttons for b in row)
    await chat.press(f"r:visit:{ids['P-MINE']}")
    assert chat.toast() == NOT_ALLOWED
    await chat.say(f"/visit {ids['P-MINE']}")
    assert chat.texts() == [NOT_ALLOWED]
    assert len(_refusals(db, ids["P-MINE"], "write_record")) == 1
    reads = [a for a in audits(db, "read") if a.record_type == "person"]
    assert [(a.actor_id, a.record_id) for a in reads] == [(reads[0].actor_id, ids["P-MINE"])]


async def test_supervisor_of_another_city_cannot_read_the_card(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-U")
    await chat.press(f"p:{ids['P-MINE']}")
    assert chat.toast() == NOT_ALLOWED and not chat.texts()
    await chat.say("/history P-MINE")
    assert chat.texts() == ["没有找到该对象，或者您无权查看。"]


async def test_card_shows_a_masked_id_number_to_the_grid_worker_and_audits_it(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"p:{ids['P-MINE']}")
    card = chat.texts()[0]
    assert "身份证：990000********" in card and "住址：测试路" in card
    assert "99000019900101" not in card  # never the whole number
    [read] = [a for a in audits(db, "read") if a.record_type == "person"]
    assert (read.record_id, read.detail) == (ids["P-MINE"], "sensitive")


async def test_medical_worker_on_the_team_sees_the_card_without_sensitive_fields(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-M")
    await chat.press(f"p:{ids['P-MINE']}")
    card = chat.texts()[0]
    assert "P-MINE" in card and "身份证" not in card and "测试路" not in card


async def test_a_form_is_refused_at_saving_when_the_person_left_the_caseload(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:visit:{ids['P-MINE']}")
    await tap(chat, "常规")
    await tap(chat, "跳过")
    await tap(chat, "跳过")
    with db.unit_of_work() as s:
        w1 = s.scalar(select(Worker.id).where(Worker.code == "W-1"))
        s.execute(delete(CareAssignment).where(CareAssignment.worker_id == w1))
    await tap(chat, "确认")
    assert chat.texts() == [NOT_ALLOWED]
    assert records(db) == []
    assert _refusals(db, ids["P-MINE"], "write_record")


async def test_nobody_but_the_author_may_correct_a_record(db, keys, now):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    author = chat_as(db, clock, "W-1")
    await author.press(f"r:note:{ids['P-MINE']}")
    await author.say("记录")
    await tap(author, "确认")
    [record] = records(db)
    cadre = chat_as(db, clock, "W-C")  # on the same care team, but not the author
    await cadre.press(f"rc:{record.id}:v")
    assert cadre.toast() == NOT_ALLOWED
    assert [a.record_id for a in audits(db, "refused") if a.record_type == "record"] == [record.id]
    assert not records(db)[0].voided
