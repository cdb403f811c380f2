"""A relative reads the privacy notice on linking and agrees (同意) before using the family channel."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from models.audit import AuditEntry
from models.clock import FrozenClock
from models.people import FamilyMember
from tests.integration.family_city import FAMILY, WORKER, build_city, family_code, outbox, worker_code
from tests.support.chat import CoreChat, build_core


async def _linked(db, keys, now, *, language: str = "zh-hans"):
    build_city(db, keys, now)
    core = build_core(db, FrozenClock(now))
    worker, family = CoreChat(core, WORKER), CoreChat(core, FAMILY, language=language)
    await worker.say(f"/start {worker_code(db, 'W-1', now)}")
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    return worker, family


def _consented_at(db):
    with db.unit_of_work() as s:
        return s.scalar(select(FamilyMember.consented_at).where(FamilyMember.telegram_user_id == FAMILY))


async def test_linking_shows_the_privacy_notice_with_an_agree_button(db, keys, now):
    _, family = await _linked(db, keys, now)
    notice = family.texts()[-1]
    assert "隐私告知" in notice and "/stop" in notice and "网格员" in notice
    assert family.button("同意") == "fc:yes"
    assert _consented_at(db) is None


async def test_family_features_answer_with_the_notice_until_the_relative_agrees(db, keys, now):
    _, family = await _linked(db, keys, now)
    await family.say("/contact")
    assert "隐私告知" in family.texts()[0] and "工作电话" not in family.texts()[0]
    await family.say("孩子这几天不太对劲")
    assert "隐私告知" in family.texts()[0]
    await family.press("fu:")  # the urgent button
    assert "隐私告知" in family.texts()[0]
    assert outbox(db, "family_relay") == [] and outbox(db, "urgent_alert") == []


async def test_agreeing_records_the_consent_with_its_date_and_audits_it(db, keys, now):
    _, family = await _linked(db, keys, now)
    await family.press("fc:yes")
    assert "已记录您的同意" in family.texts()[0]
    assert _consented_at(db) == now
    with db.unit_of_work() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "consent")).all()
        assert [(e.actor_kind, e.record_type, e.at) for e in entries] == [("family", "family_member", now)]
    await family.say("/contact")
    assert "工作电话" in family.texts()[0]


async def test_agreeing_twice_keeps_the_first_date(db, keys, now):
    build_city(db, keys, now)
    clock = FrozenClock(now)
    family = CoreChat(build_core(db, clock), FAMILY)
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    await family.press("fc:yes")
    clock.advance(timedelta(days=1))
    await family.press("fc:yes")
    assert _consented_at(db) == now


async def test_a_relative_linked_before_consent_existed_is_asked_on_their_next_message(db, keys, now):
    _, family = await _linked(db, keys, now)
    await family.press("fc:yes")
    with db.unit_of_work() as s:  # as migration 0014 leaves a member linked before it
        s.execute(update(FamilyMember).values(consented_at=None))
    await family.say("您好")
    assert "隐私告知" in family.texts()[0] and outbox(db, "family_relay") == []
    await family.press("fc:yes")
    await family.say("您好")
    assert len(outbox(db, "family_relay")) == 1


async def test_a_relative_may_leave_with_stop_without_agreeing(db, keys, now):
    _, family = await _linked(db, keys, now)
    await family.say("/stop")
    await family.press(family.button("解除"))
    with db.unit_of_work() as s:
        assert s.scalar(select(FamilyMember.active)) is False


async def test_the_notice_is_in_english_for_an_english_client(db, keys, now):
    _, family = await _linked(db, keys, now, language="en")
    assert "privacy notice" in family.texts()[-1] and "/stop" in family.texts()[-1]
    assert family.button("I agree") == "fc:yes"
    await family.press("fc:yes")
    assert "agreement is recorded" in family.texts()[0]
