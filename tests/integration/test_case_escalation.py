"""失联 nobody confirmed goes to the nearest supervisor after the urgent-alert deadline, once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from handlers.casework.escalation import escalate_lost_contacts
from handlers.context import JobCtx
from handlers.render import Renderer
from models.clock import FrozenClock
from models.people import Person, Status
from models.policy import Policy
from tests.integration.test_case_life import change, propose
from tests.integration.test_reports_support import USERS, chat_as, city, outbox, tap


def _run(db, now) -> int:
    with db.unit_of_work() as session:
        job = JobCtx(now=now, renderer=Renderer(ZoneInfo("Asia/Shanghai")), _session=session, policy=Policy())
        return escalate_lost_contacts(job)


def _escalated(db):
    return [m for m in outbox(db) if m.purpose == "alert_escalated"]


async def test_lost_contact_nobody_confirmed_escalates_to_the_supervisor_once(db, keys, now):
    ids = city(db, keys, now)
    await tap(await propose(db, now, ids["P-MINE"], "失联"), "确认")
    timeout = Policy().alert_ack_timeout
    assert _run(db, now + timeout - timedelta(minutes=1)) == 0
    assert _run(db, now + timeout) == 1
    [sent] = _escalated(db)
    assert sent.chat_id == USERS["W-S"] and sent.urgent and "失联报告无人确认" in sent.payload["text"]
    assert _run(db, now + timeout + timedelta(minutes=1)) == 0  # once only
    # The supervisor may decide it from the escalation's buttons.
    supervisor = chat_as(db, FrozenClock(now + timeout), "W-S")
    await supervisor.press(sent.payload["buttons"][0][0][1])
    with db.unit_of_work() as s:
        assert s.get(Person, ids["P-MINE"]).status is Status.lost_contact


async def test_a_confirmed_lost_contact_never_escalates(db, keys, now):
    ids = city(db, keys, now)
    await tap(await propose(db, now, ids["P-MINE"], "失联"), "确认")
    await chat_as(db, FrozenClock(now), "W-P").press(f"cd:{change(db).id}:y")
    assert _run(db, now + timedelta(days=1)) == 0 and _escalated(db) == []
