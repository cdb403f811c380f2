"""转出/转入 (issue 14 §1): the receiving grid's worker accepts; the person, their team and family follow."""

from __future__ import annotations

from sqlalchemy import select

from models.areas import AreaLevel
from models.casework import CaseChange
from models.clock import FrozenClock
from models.people import CareAssignment, CaseRole, Person, Role, Worker
from models.services.directory.entries import AreaData, upsert_area
from tests.factories import make_worker
from tests.integration.test_reports_support import USERS, audits, chat_as, city, outbox, tap
from tests.support.chat import CoreChat, build_core

RECEIVER, NEW_CADRE = 611, 612


def with_other_community(db, keys, now, *, linked: bool = True) -> dict[str, int]:
    """The city, plus 第三网格 in another community of the same town, with its worker and cadre."""
    ids = city(db, keys, now)
    with db.unit_of_work() as s:
        com2, _ = upsert_area(s, AreaData("T-COM2", "第二社区", AreaLevel.community, "T-TOWN"))
        grid3, _ = upsert_area(s, AreaData("T-G3", "第三网格", AreaLevel.grid, "T-COM2"))
        receiver = make_worker(s, grid3, code="W-G3")
        cadre = make_worker(s, com2, code="W-C3", role=Role.cadre)
        receiver.telegram_user_id = RECEIVER if linked else None
        cadre.telegram_user_id = NEW_CADRE
        s.flush()
        ids["G3"] = grid3.id
    return ids


async def propose_transfer(db, now, person_id: int):
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"p:{person_id}")
    await tap(chat, "状态变更")
    await tap(chat, "转出")
    await tap(chat, "今天")
    await tap(chat, "第三网格")
    await chat.say("搬家到第二社区居住")
    await tap(chat, "确认")
    return chat


def _team(db, person_id: int) -> set[tuple[str, CaseRole]]:
    with db.unit_of_work() as s:
        rows = s.execute(
            select(Worker.code, CareAssignment.case_role)
            .join(Worker, Worker.id == CareAssignment.worker_id)
            .where(CareAssignment.person_id == person_id)
        )
        return {(code, part) for code, part in rows}


async def test_the_receiving_worker_accepts_and_the_team_moves(db, keys, now):
    ids = with_other_community(db, keys, now)
    await propose_transfer(db, now, ids["P-MINE"])
    with db.unit_of_work() as s:
        change_id = s.scalar(select(CaseChange.id))
    asked = [m for m in outbox(db) if m.chat_id == RECEIVER]
    assert len(asked) == 1 and asked[0].payload["buttons"][0][0] == ["✅ 接收", f"ct:{change_id}:y"]
    receiver = CoreChat(build_core(db, FrozenClock(now)), RECEIVER)
    await receiver.press(f"ct:{change_id}:y")
    assert "已接收" in receiver.texts()[0]
    with db.unit_of_work() as s:
        assert s.scalar(select(Person.area_id).where(Person.id == ids["P-MINE"])) == ids["G3"]
    # The responsible worker and the cadre change; the police officer is kept (nobody linked nearer).
    assert _team(db, ids["P-MINE"]) == {
        ("W-G3", CaseRole.responsible),
        ("W-C3", CaseRole.cadre),
        ("W-P", CaseRole.police),
        ("W-M", CaseRole.medical),
    }
    told = {m.chat_id for m in outbox(db) if "不再负责" in m.payload["text"]}
    assert told == {USERS["W-C"]}
    assert "已获接收" in [m for m in outbox(db) if m.chat_id == USERS["W-1"]][-1].payload["text"]
    assert len([e for e in audits(db, "transfer") if e.person_id == ids["P-MINE"]]) == 2
    # The old worker no longer sees the card.
    old = chat_as(db, FrozenClock(now), "W-1")
    await old.press(f"p:{ids['P-MINE']}")
    assert old.toast() is not None


async def test_a_worker_of_another_grid_may_not_accept(db, keys, now):
    ids = with_other_community(db, keys, now)
    await propose_transfer(db, now, ids["P-MINE"])
    with db.unit_of_work() as s:
        change_id = s.scalar(select(CaseChange.id))
    stranger = chat_as(db, FrozenClock(now), "W-2")
    await stranger.press(f"ct:{change_id}:y")
    assert stranger.toast() is not None
    with db.unit_of_work() as s:
        assert s.scalar(select(CaseChange.decided_at)) is None


async def test_nobody_linked_in_the_receiving_grid_tells_the_proposer_at_once(db, keys, now):
    ids = with_other_community(db, keys, now, linked=False)
    chat = await propose_transfer(db, now, ids["P-MINE"])
    assert "没有已关联机器人的网格员" in chat.texts()[-1]
    assert not [m for m in outbox(db) if m.payload.get("buttons")]
