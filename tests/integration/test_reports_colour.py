"""A suggested colour changes nothing until a supervisor or the case's police officer confirms it."""

from __future__ import annotations

from sqlalchemy import select

from models.casework import ColourProposal
from models.clock import FrozenClock
from models.people import Colour, ColourChange, Person, Worker
from tests.integration.test_reports_support import USERS, audits, chat_as, city, outbox, records, tap


async def _assess(db, now, person_id: int, colour: str) -> None:
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:assessment:{person_id}")
    await tap(chat, "量化评估")
    await tap(chat, "今天")
    await chat.say("55")
    await chat.say("近期情绪不稳定")
    await tap(chat, colour)
    await tap(chat, "确认")


def _colour(db, person_id: int) -> Colour:
    with db.unit_of_work() as s:
        return s.scalar(select(Person.colour).where(Person.id == person_id))


def _proposal(db) -> ColourProposal:
    with db.unit_of_work() as s:
        return s.scalars(select(ColourProposal)).one()


async def test_a_suggested_colour_asks_the_nearest_supervisor_and_the_police_officer(db, keys, now):
    ids = city(db, keys, now)
    await _assess(db, now, ids["P-MINE"], "橙色")
    asked = outbox(db)
    assert sorted(r.chat_id for r in asked) == [USERS["W-P"], USERS["W-S"]]
    proposal = _proposal(db)
    assert asked[0].payload["buttons"][0] == [
        ["✅ 同意调整", f"cp:{proposal.id}:y"],
        ["✖ 不同意", f"cp:{proposal.id}:n"],
    ]
    assert "P-MINE" in asked[0].payload["text"] and "测试对象" not in asked[0].payload["text"]
    assert _colour(db, ids["P-MINE"]) is Colour.blue
    assert (proposal.proposed, proposal.record_id) == (Colour.orange, records(db)[0].id)


async def test_supervisor_confirms_the_colour_changes_with_history_and_the_worker_is_told(db, keys, now):
    ids = city(db, keys, now)
    await _assess(db, now, ids["P-MINE"], "橙色")
    proposal = _proposal(db)
    supervisor = chat_as(db, FrozenClock(now), "W-S")
    await supervisor.press(f"cp:{proposal.id}:y")
    assert "已同意" in supervisor.texts()[0]
    assert _colour(db, ids["P-MINE"]) is Colour.orange
    with db.unit_of_work() as s:
        change = s.scalars(select(ColourChange).order_by(ColourChange.id.desc())).first()
        supervisor_id = s.scalar(select(Worker.id).where(Worker.code == "W-S"))
    assert (change.from_colour, change.to_colour, change.changed_by) == (
        Colour.blue,
        Colour.orange,
        supervisor_id,
    )
    assert f"assessment {proposal.record_id}" in change.reason
    told = [r for r in outbox(db) if r.chat_id == USERS["W-1"]]
    assert len(told) == 1 and "已获同意" in told[0].payload["text"]
    police = chat_as(db, FrozenClock(now), "W-P")
    await police.press(f"cp:{proposal.id}:n")  # too late: the first decision counts
    assert police.toast() == "这项分类调整已经处理过了。"
    assert _colour(db, ids["P-MINE"]) is Colour.orange


async def test_police_officer_of_the_case_may_reject(db, keys, now):
    ids = city(db, keys, now)
    await _assess(db, now, ids["P-MINE"], "红色")
    proposal = _proposal(db)
    police = chat_as(db, FrozenClock(now), "W-P")
    await police.press(f"cp:{proposal.id}:n")
    assert "保持不变" in police.texts()[0]
    assert _proposal(db).accepted is False and _colour(db, ids["P-MINE"]) is Colour.blue


async def test_nobody_else_may_decide_and_refusals_are_audited(db, keys, now):
    ids = city(db, keys, now)
    await _assess(db, now, ids["P-MINE"], "橙色")
    proposal = _proposal(db)
    for code in ("W-U", "W-1", "W-C"):  # another city's supervisor, the author, the cadre
        chat = chat_as(db, FrozenClock(now), code)
        await chat.press(f"cp:{proposal.id}:y")
        assert chat.toast() == "您没有权限进行此操作。", code
    assert _colour(db, ids["P-MINE"]) is Colour.blue and _proposal(db).decided_at is None
    refused = [(a.record_type, a.actor_role, a.detail) for a in audits(db, "refused")]
    assert refused == [  # the supervisor elsewhere: out of scope; the others lack the role altogether
        ("person", "supervisor", "confirm_colour"),
        ("action", "grid_worker", "confirm_colour"),
        ("action", "cadre", "confirm_colour"),
    ]


async def test_suggesting_the_current_colour_asks_nobody(db, keys, now):
    ids = city(db, keys, now)
    await _assess(db, now, ids["P-MINE"], "蓝色")
    assert outbox(db) == [] and records(db)[0].result == "blue"


async def test_voiding_the_assessment_withdraws_its_proposal(db, keys, now):
    ids = city(db, keys, now)
    await _assess(db, now, ids["P-MINE"], "橙色")
    author = chat_as(db, FrozenClock(now), "W-1")
    await author.press(f"rc:{records(db)[0].id}:v")
    await tap(author, "填写错误")
    await tap(author, "确认")
    supervisor = chat_as(db, FrozenClock(now), "W-S")
    await supervisor.press(f"cp:{_proposal(db).id}:y")
    assert supervisor.toast() == "这项分类调整已经处理过了。"
    assert _colour(db, ids["P-MINE"]) is Colour.blue
