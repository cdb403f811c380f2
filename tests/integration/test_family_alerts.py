"""The urgent alert (紧急情况): three staff at once, first acknowledgment wins, escalation on time-out."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from handlers.context import JobCtx
from handlers.family.staff import escalate_alerts
from handlers.render import Renderer
from models.clock import FrozenClock
from models.family import UrgentAlert
from models.people import CareAssignment, CaseRole
from models.policy import Policy
from models.services.family.answers import acknowledge
from models.services.identity import resolve
from tests.integration.family_city import (
    CADRE,
    FAMILY,
    OTHER_WORKER,
    POLICE,
    SUPERVISOR,
    WORKER,
    build_city,
    family_code,
    outbox,
    worker_code,
)
from tests.support.chat import CoreChat, build_core


async def _raise_alert(db, keys, now, clock, description="看到他和以前的毒友在一起"):
    build_city(db, keys, now)
    core = build_core(db, clock)
    staff = {}
    for code, user in (("W-1", WORKER), ("W-CADRE", CADRE), ("W-POLICE", POLICE), ("W-SUP", SUPERVISOR)):
        staff[user] = CoreChat(core, user)
        await staff[user].say(f"/start {worker_code(db, code, now)}")
    family = CoreChat(core, FAMILY)
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    await family.press("fc:yes")  # the privacy notice, agreed
    await family.say("/urgent")
    if description:
        await family.say(description)
    else:
        await family.press(family.button("跳过"))
    await family.press(family.button("确认"))
    return staff, family


def _run_escalation(db, now) -> int:
    with db.unit_of_work() as session:
        job = JobCtx(now=now, renderer=Renderer(ZoneInfo("Asia/Shanghai")), _session=session, policy=Policy())
        return escalate_alerts(job)


async def test_an_urgent_alert_reaches_worker_cadre_and_police_at_once_at_any_hour(db, keys, now):
    night = now + timedelta(hours=17)  # 03:00 in Shanghai
    _, family = await _raise_alert(db, keys, now, FrozenClock(night))
    alerts = outbox(db, "urgent_alert")
    assert sorted(a.chat_id for a in alerts) == sorted([WORKER, CADRE, POLICE])
    assert all(a.urgent and a.available_at == night for a in alerts)
    assert all("毒友" in a.payload["text"] for a in alerts)
    assert all(any(d.startswith("ack:") for row in a.payload["buttons"] for _, d in row) for a in alerts)
    assert "已通知 3 位工作人员" in family.texts()[-1]


async def test_the_description_step_can_be_skipped(db, keys, now):
    await _raise_alert(db, keys, now, FrozenClock(now), description=None)
    assert len(outbox(db, "urgent_alert")) == 3
    assert "未填写说明" in outbox(db, "urgent_alert")[0].payload["text"]


async def test_the_first_acknowledgment_wins_and_the_others_and_the_family_are_told(db, keys, now):
    staff, _ = await _raise_alert(db, keys, now, FrozenClock(now))
    ack = next(
        d for row in outbox(db, "urgent_alert")[0].payload["buttons"] for _, d in row if d.startswith("ack:")
    )
    await staff[CADRE].press(ack)
    assert staff[CADRE].toast() == "已由您接手。"
    await staff[POLICE].press(ack)
    assert "已由社区专干" in staff[POLICE].toast()
    taken = outbox(db, "alert_taken")
    assert sorted(t.chat_id for t in taken) == sorted([WORKER, POLICE, FAMILY])
    family_note = next(t for t in taken if t.chat_id == FAMILY)
    assert "已接手" in family_note.payload["text"] and family_note.urgent
    with db.unit_of_work() as s:
        alert = s.scalars(select(UrgentAlert)).one()
        assert alert.acknowledged_at == now and alert.acknowledged_by is not None


async def test_two_simultaneous_acknowledgments_record_only_one(db, keys, now):
    await _raise_alert(db, keys, now, FrozenClock(now))
    with db.unit_of_work() as s:
        alert_id = s.scalar(select(UrgentAlert.id))
        cadre, police = resolve(s, CADRE), resolve(s, POLICE)
    with db.unit_of_work() as first, db.unit_of_work() as second:
        assert second.get(UrgentAlert, alert_id).acknowledged_at is None  # both saw it open
        won = acknowledge(first, cadre, alert_id, now=now, today=now.date())
        first.commit()
        lost = acknowledge(second, police, alert_id, now=now, today=now.date())
    assert won is not None and won.taken
    assert lost is not None and not lost.taken and lost.by_role == "cadre"


async def test_an_alert_nobody_takes_escalates_to_the_supervisor_after_the_timeout(db, keys, now):
    await _raise_alert(db, keys, now, FrozenClock(now))
    assert _run_escalation(db, now + timedelta(minutes=29)) == 0
    assert _run_escalation(db, now + timedelta(minutes=30)) == 1
    escalated = outbox(db, "alert_escalated")
    assert [e.chat_id for e in escalated] == [SUPERVISOR] and escalated[0].urgent
    assert "30 分钟" in escalated[0].payload["text"]
    assert _run_escalation(db, now + timedelta(minutes=31)) == 0  # once only


async def test_an_acknowledged_alert_never_escalates(db, keys, now):
    staff, _ = await _raise_alert(db, keys, now, FrozenClock(now))
    ack = next(
        d for row in outbox(db, "urgent_alert")[0].payload["buttons"] for _, d in row if d.startswith("ack:")
    )
    await staff[WORKER].press(ack)
    assert _run_escalation(db, now + timedelta(hours=2)) == 0
    assert outbox(db, "alert_escalated") == []


async def test_the_supervisor_can_take_an_escalated_alert(db, keys, now):
    clock = FrozenClock(now)
    staff, _ = await _raise_alert(db, keys, now, clock)
    _run_escalation(db, now + timedelta(minutes=30))
    clock.advance(timedelta(minutes=31))
    ack = next(d for row in outbox(db, "alert_escalated")[0].payload["buttons"] for _, d in row)
    await staff[SUPERVISOR].press(ack)
    assert staff[SUPERVISOR].toast() == "已由您接手。"
    told = sorted(t.chat_id for t in outbox(db, "alert_taken"))
    assert told == sorted([WORKER, CADRE, POLICE, FAMILY])


async def test_a_second_alert_while_one_is_open_joins_it(db, keys, now):
    clock = FrozenClock(now)
    _, family = await _raise_alert(db, keys, now, clock)
    clock.advance(timedelta(minutes=5))
    await family.say("/urgent")
    await family.say("他现在出门了")
    await family.press(family.button("确认"))
    with db.unit_of_work() as s:
        assert len(s.scalars(select(UrgentAlert)).all()) == 1
    more = [a for a in outbox(db, "urgent_alert") if "再次求助" in a.payload["text"]]
    assert len(more) == 3 and all("出门" in a.payload["text"] for a in more)


async def test_a_worker_outside_the_care_team_cannot_take_the_alert(db, keys, now):
    staff, _ = await _raise_alert(db, keys, now, FrozenClock(now))
    other = CoreChat(staff[WORKER].core, OTHER_WORKER)
    await other.say(f"/start {worker_code(db, 'W-2', now)}")
    with db.unit_of_work() as s:
        alert_id = s.scalar(select(UrgentAlert.id))
    await other.press(f"ack:{alert_id}")
    assert other.toast() == "您没有权限进行此操作。"
    with db.unit_of_work() as s:
        assert s.scalar(select(UrgentAlert.acknowledged_at)) is None


async def test_without_a_police_officer_on_the_team_the_community_police_get_and_may_take_it(db, keys, now):
    build_city(db, keys, now)
    with db.unit_of_work() as s:
        s.execute(delete(CareAssignment).where(CareAssignment.case_role == CaseRole.police))
    core = build_core(db, FrozenClock(now))
    police = CoreChat(core, POLICE)
    await police.say(f"/start {worker_code(db, 'W-POLICE', now)}")
    family = CoreChat(core, FAMILY)
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    await family.press("fc:yes")  # the privacy notice, agreed
    await family.say("/urgent")
    await family.press(family.button("跳过"))
    await family.press(family.button("确认"))
    alert = next(a for a in outbox(db, "urgent_alert") if a.chat_id == POLICE)
    buttons = [d for row in alert.payload["buttons"] for _, d in row]
    assert [d.split(":")[0] for d in buttons] == ["ack", "acl"]  # no reply: answering is the care team's
    await police.press(buttons[0])
    assert police.toast() == "已由您接手。"


async def test_an_alert_that_reaches_no_staff_goes_to_the_supervisor_at_once(db, keys, now):
    build_city(db, keys, now)
    core = build_core(db, FrozenClock(now))
    supervisor = CoreChat(core, SUPERVISOR)
    await supervisor.say(f"/start {worker_code(db, 'W-SUP', now)}")
    family = CoreChat(core, FAMILY)  # no worker, cadre or police officer has linked an account
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    await family.press("fc:yes")  # the privacy notice, agreed
    await family.say("/urgent")
    await family.press(family.button("跳过"))
    await family.press(family.button("确认"))
    assert outbox(db, "urgent_alert") == []
    escalated = outbox(db, "alert_escalated")
    assert [e.chat_id for e in escalated] == [SUPERVISOR] and "无法通过机器人联系到" in escalated[0].payload[
        "text"
    ]
    assert "已通知 1 位工作人员" in family.texts()[-1]
    assert _run_escalation(db, now + timedelta(hours=1)) == 0
