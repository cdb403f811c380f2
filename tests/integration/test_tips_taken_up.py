"""已受理: police take up a tip once; the tipster is told so, and nothing about the tip."""

from __future__ import annotations

from sqlalchemy import select, update

from models.audit import AuditEntry
from models.clock import FrozenClock
from models.family import Tip
from models.people import Worker
from tests.integration.family_city import FAMILY, OTHER_POLICE, POLICE, outbox
from tests.integration.test_family_tips import _tip
from tests.support.chat import CoreChat, build_core

TOLD = "您提供的线索已被警方受理，感谢您的协助。"


def _tip_row(db) -> Tip:
    with db.unit_of_work() as s:
        return s.scalars(select(Tip)).one()


async def test_the_tip_carries_a_taken_up_button_for_the_police(db, keys, now):
    await _tip(db, keys, now)
    [sent] = outbox(db, "tip")
    assert sent.payload["buttons"] == [[["✅ 已受理", f"tu:{_tip_row(db).id}"]]]


async def test_police_take_up_a_tip_once_and_the_tipster_is_told_nothing_more(db, keys, now):
    city, police, _ = await _tip(db, keys, now)
    tip = _tip_row(db)
    await police.press(f"tu:{tip.id}")
    taken = _tip_row(db)
    assert taken.taken_up_at == now and taken.taken_up_by == city.worker_ids["W-POLICE"]
    [receipt] = [r for r in outbox(db, "tip") if r.chat_id == FAMILY]
    assert receipt.payload["text"] == TOLD and receipt.payload.get("buttons", []) == []
    assert f"已受理线索 #{tip.id}" in police.texts()[-1] and "已告知提供人" in police.texts()[-1]
    with db.unit_of_work() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "take_up")).all()
        assert [(e.actor_id, e.record_id) for e in entries] == [(city.worker_ids["W-POLICE"], tip.id)]


async def test_a_second_press_says_it_was_already_taken_up(db, keys, now):
    _, police, _ = await _tip(db, keys, now)
    tip = _tip_row(db)
    await police.press(f"tu:{tip.id}")
    await police.press(f"tu:{tip.id}")
    assert "已由" in (police.toast() or "") and "受理" in (police.toast() or "")
    assert len([r for r in outbox(db, "tip") if r.chat_id == FAMILY]) == 1


async def test_a_tipster_who_has_left_the_channel_is_not_written_to(db, keys, now):
    _, police, family = await _tip(db, keys, now)
    await family.say("/stop")
    await family.press(family.button("确认"))
    await police.press(f"tu:{_tip_row(db).id}")
    assert _tip_row(db).taken_up_at == now
    assert [r for r in outbox(db, "tip") if r.chat_id == FAMILY] == []
    assert "未通知" in police.texts()[-1]


async def test_an_officer_the_tip_did_not_reach_may_not_take_it_up(db, keys, now):
    await _tip(db, keys, now)
    other = CoreChat(build_core(db, FrozenClock(now)), OTHER_POLICE)  # another community's police
    await other.press(f"tu:{_tip_row(db).id}")
    assert other.toast() == "您没有权限进行此操作。"
    assert _tip_row(db).taken_up_at is None


async def test_the_other_officers_who_got_the_tip_learn_who_took_it(db, keys, now):
    city, _, _ = await _tip(db, keys, now)
    with db.unit_of_work() as s:  # a second officer of the same community
        com = s.scalar(select(Worker.area_id).where(Worker.id == city.worker_ids["W-POLICE"]))
        s.execute(update(Worker).where(Worker.id == city.worker_ids["W-POLICE-2"]).values(area_id=com))
    colleague = CoreChat(build_core(db, FrozenClock(now)), OTHER_POLICE)
    await colleague.press(f"tu:{_tip_row(db).id}")
    told = [r for r in outbox(db, "tip") if r.chat_id == POLICE and "已由" in r.payload["text"]]
    assert len(told) == 1 and "受理" in told[0].payload["text"]
