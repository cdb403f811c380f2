"""面谈提醒: a family member turns meeting reminders on and off with /meetings; audited."""

from __future__ import annotations

from sqlalchemy import select

from models.audit import AuditEntry
from models.casework import Appointment
from models.clock import FrozenClock
from models.people import FamilyMember
from tests.integration.family_city import FAMILY, WORKER, build_city, family_code, worker_code
from tests.support.chat import CoreChat, build_core


def _choice(db) -> bool:
    with db.unit_of_work() as s:
        return bool(
            s.scalar(
                select(FamilyMember.appointment_reminders).where(FamilyMember.telegram_user_id == FAMILY)
            )
        )


async def _family(db, keys, now) -> CoreChat:
    build_city(db, keys, now)
    family = CoreChat(build_core(db, FrozenClock(now)), FAMILY)
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    await family.press("fc:yes")  # the privacy notice, agreed
    return family


async def test_a_family_member_turns_reminders_on_and_off(db, keys, now):
    family = await _family(db, keys, now)
    await family.say("/meetings")
    assert "未开启" in family.texts()[-1] and not _choice(db)
    await family.press(family.button("面谈提醒：开启"))
    assert _choice(db) and "已开启面谈提醒" in family.texts()[-1]
    await family.press(family.button("面谈提醒：关闭"))
    assert not _choice(db) and "已关闭面谈提醒" in family.texts()[-1]
    with db.unit_of_work() as s:
        details = s.scalars(
            select(AuditEntry.detail).where(
                AuditEntry.record_type == "family_member", AuditEntry.action == "update"
            )
        ).all()
    assert details == ["appointment_reminders=on", "appointment_reminders=off"]


async def test_staff_may_not_turn_a_familys_reminders_on(db, keys, now):
    family = await _family(db, keys, now)
    worker = CoreChat(family.core, WORKER)
    await worker.say(f"/start {worker_code(db, 'W-1', now)}")
    await worker.press("fmr:1")
    assert worker.toast() == "您没有权限进行此操作。"
    assert not _choice(db)


async def test_a_family_member_may_not_book_their_relatives_meeting(db, keys, now):
    family = await _family(db, keys, now)
    with db.unit_of_work() as s:
        person_id = s.scalar(select(FamilyMember.person_id).where(FamilyMember.telegram_user_id == FAMILY))
    for data in (f"ap:{person_id}", f"as:{person_id}:202603061430"):
        await family.press(data)
        assert family.toast() == "您没有权限进行此操作。"
    with db.unit_of_work() as s:
        assert s.scalars(select(Appointment)).all() == []
