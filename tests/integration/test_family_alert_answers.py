"""Answering an urgent alert by any path (a claim, a relayed reply, a logged call) counts as answering it."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.context import JobCtx
from handlers.family.staff import escalate_alerts
from handlers.render import Renderer
from models.audit import AuditEntry
from models.clock import FrozenClock
from models.family import UrgentAlert
from models.policy import Policy
from tests.integration.family_city import (
    CADRE,
    FAMILY,
    POLICE,
    SUPERVISOR,
    WORKER,
    City,
    build_city,
    family_code,
    outbox,
    worker_code,
)
from tests.support.chat import CoreChat, build_core


async def _alert_raised(db, keys, now, clock) -> tuple[City, dict[int, CoreChat], CoreChat]:
    city = build_city(db, keys, now)
    core = build_core(db, clock)
    staff = {}
    for code, user in (("W-1", WORKER), ("W-CADRE", CADRE), ("W-POLICE", POLICE), ("W-SUP", SUPERVISOR)):
        staff[user] = CoreChat(core, user)
        await staff[user].say(f"/start {worker_code(db, code, now)}")
    family = CoreChat(core, FAMILY)
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    await family.press("fc:yes")  # the privacy notice, agreed
    await family.say("/urgent")
    await family.say("他又和以前的毒友在一起")
    await family.press(family.button("确认"))
    assert "有人接手后会在这里告诉您" in family.texts()[-1]
    return city, staff, family


async def _reply_from_inbox(worker: CoreChat, text: str = "我马上过来，请别着急。") -> None:
    await worker.say("/inbox")
    await worker.press(worker.button("回复"))
    await worker.say(text)
    await worker.press(worker.button("确认"))


def _alert(db) -> UrgentAlert:
    with db.unit_of_work() as s:
        alert = s.scalars(select(UrgentAlert)).one()
        s.expunge(alert)
        return alert


def _taken_for(db, chat_id: int) -> list[str]:
    return [row.payload["text"] for row in outbox(db, "alert_taken") if row.chat_id == chat_id]


def _run_escalation(db, now) -> int:
    with db.unit_of_work() as session:
        job = JobCtx(now=now, renderer=Renderer(ZoneInfo("Asia/Shanghai")), _session=session, policy=Policy())
        return escalate_alerts(job)


async def test_a_reply_from_the_inbox_answers_the_alert_and_the_family_is_told_who_took_it(db, keys, now):
    city, staff, _ = await _alert_raised(db, keys, now, FrozenClock(now))
    await _reply_from_inbox(staff[WORKER])
    alert = _alert(db)
    assert alert.acknowledged_at == now and alert.acknowledged_by == city.worker_ids["W-1"]
    (told,) = _taken_for(db, FAMILY)
    assert "已接手处理您的紧急求助" in told and "网格员" in told
    assert [row.chat_id for row in outbox(db, "family_reply")] == [FAMILY]  # the reply itself too
    assert _taken_for(db, CADRE) and _taken_for(db, POLICE)  # the others know it is taken
    assert _taken_for(db, WORKER) == []
    with db.unit_of_work() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "acknowledge")).one()
        assert (entry.record_type, entry.record_id, entry.detail) == ("urgent_alert", alert.id, "reply")


async def test_a_reply_from_the_alert_message_itself_answers_it(db, keys, now):
    city, staff, _ = await _alert_raised(db, keys, now, FrozenClock(now))
    relayed = next(row for row in outbox(db, "urgent_alert") if row.chat_id == WORKER)
    reply = next(d for row in relayed.payload["buttons"] for _, d in row if d.startswith("fr:"))
    await staff[WORKER].press(reply)
    await staff[WORKER].say("收到，我现在打电话给您。")
    await staff[WORKER].press(staff[WORKER].button("确认"))
    assert _alert(db).acknowledged_by == city.worker_ids["W-1"]
    assert len(_taken_for(db, FAMILY)) == 1


async def test_an_alert_answered_by_a_reply_never_escalates(db, keys, now):
    clock = FrozenClock(now)
    _, staff, _ = await _alert_raised(db, keys, now, clock)
    clock.advance(timedelta(minutes=5))
    await _reply_from_inbox(staff[WORKER])
    assert _run_escalation(db, now + timedelta(hours=2)) == 0
    assert outbox(db, "alert_escalated") == []


async def test_an_alert_answered_by_a_reply_counts_in_the_digest_and_in_workers(db, keys, now):
    clock = FrozenClock(now)
    _, staff, _ = await _alert_raised(db, keys, now, clock)
    clock.advance(timedelta(minutes=12))
    await _reply_from_inbox(staff[WORKER])
    supervisor = staff[SUPERVISOR]
    await supervisor.say("/digest")
    digest = "\n".join(supervisor.texts())
    assert "紧急求助</b> 1 起：已响应 1（响应中位数 12 分钟） · 未响应 0" in digest
    await supervisor.say("/workers")
    workers = "\n".join(supervisor.texts())
    mine = workers[workers.index("<b>W-1</b>") : workers.index("<b>W-2</b>")]
    assert "紧急求助 1（中位数 12 分钟）" in mine


async def test_a_second_answer_does_not_tell_the_family_again(db, keys, now):
    clock = FrozenClock(now)
    city, staff, _ = await _alert_raised(db, keys, now, clock)
    await _reply_from_inbox(staff[WORKER])
    clock.advance(timedelta(minutes=1))
    ack = next(
        d for row in outbox(db, "urgent_alert")[0].payload["buttons"] for _, d in row if d.startswith("ack:")
    )
    await staff[CADRE].press(ack)
    assert "已由网格员" in staff[CADRE].toast()
    await staff[WORKER].press(f"acl:{_alert(db).id}")  # the call logged afterwards changes nothing either
    alert = _alert(db)
    assert alert.acknowledged_at == now and alert.acknowledged_by == city.worker_ids["W-1"]
    assert len(_taken_for(db, FAMILY)) == 1 and len(_taken_for(db, CADRE)) == 1


async def test_a_later_reply_does_not_tell_the_family_again(db, keys, now):
    _, staff, _ = await _alert_raised(db, keys, now, FrozenClock(now))
    ack = next(
        d for row in outbox(db, "urgent_alert")[0].payload["buttons"] for _, d in row if d.startswith("ack:")
    )
    await staff[POLICE].press(ack)
    await _reply_from_inbox(staff[WORKER])
    (told,) = _taken_for(db, FAMILY)
    assert "社区民警" in told
    assert len(outbox(db, "family_reply")) == 1


async def test_a_call_logged_against_the_alert_answers_it(db, keys, now):
    city, staff, _ = await _alert_raised(db, keys, now, FrozenClock(now))
    relayed = next(row for row in outbox(db, "urgent_alert") if row.chat_id == POLICE)
    called = next(d for row in relayed.payload["buttons"] for _, d in row if d.startswith("acl:"))
    await staff[POLICE].press(called)
    assert staff[POLICE].toast() == "已由您接手。"
    assert "已记录您就紧急情况" in staff[POLICE].texts()[0]
    assert _alert(db).acknowledged_by == city.worker_ids["W-POLICE"]
    (told,) = _taken_for(db, FAMILY)
    assert "社区民警" in told
    assert _run_escalation(db, now + timedelta(hours=2)) == 0
    with db.unit_of_work() as s:
        assert s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "acknowledge")) == "call"
