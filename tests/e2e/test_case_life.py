"""状态变更 end to end, on both transports: a status change confirmed by the police officer, and a
transfer accepted by the receiving grid's worker (the real clients, HTTP, the local Bot API server)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.clock import FrozenClock
from models.people import Person, Status
from tests.e2e.harness import TRANSPORTS, User, local_api, start_bot
from tests.e2e.test_family import _arrives, _drain
from tests.integration.test_case_transfer import RECEIVER, with_other_community
from tests.integration.test_reports_support import USERS, city

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


async def _propose(worker: User, *labels: str, reason: str) -> None:
    """From /my: the person's card, 状态变更, then the buttons `labels` and the typed reason."""
    await worker.say("/my")
    await worker.press("P-MINE")
    for label in ("状态变更", *labels):
        await worker.press(label)
    await worker.say(reason)


async def test_a_status_change_is_confirmed_by_the_police_officer(db, db_url, keys, now, transport):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        try:
            worker, police = User(api, running, USERS["W-1"]), User(api, running, USERS["W-P"])
            await _propose(worker, "死亡", "今天", reason="家属告知病故")
            assert "保存后将请" in worker.last_text()
            await worker.press("确认")
            await _drain(db, running, clock)
            await _arrives(api, USERS["W-P"], "状态变更待确认", "P-MINE")
            await police.press("✅ 确认")
            await _drain(db, running, clock)
            told = await _arrives(api, USERS["W-1"], "已获确认")
        finally:
            await running.stop()
    assert "P-MINE" in told
    with db.unit_of_work() as s:
        assert s.scalar(select(Person.status).where(Person.id == ids["P-MINE"])) is Status.deceased


async def test_a_transfer_is_accepted_by_the_receiving_grid(db, db_url, keys, now, transport):
    ids = with_other_community(db, keys, now)
    clock = FrozenClock(now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        try:
            worker, receiver = User(api, running, USERS["W-1"]), User(api, running, RECEIVER)
            await _propose(worker, "转出", "今天", "第三网格", reason="搬家")
            await worker.press("确认")
            await _drain(db, running, clock)
            await _arrives(api, RECEIVER, "转入待接收", "P-MINE")
            await receiver.press("✅ 接收")
            await _drain(db, running, clock)
            await _arrives(api, USERS["W-1"], "已获接收")
        finally:
            await running.stop()
    with db.unit_of_work() as s:
        assert s.scalar(select(Person.area_id).where(Person.id == ids["P-MINE"])) == ids["G3"]


async def test_lost_contact_reaches_cadre_and_police_at_once_and_the_cadre_confirms(
    db, db_url, keys, now, transport
):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock)
        try:
            worker, cadre = User(api, running, USERS["W-1"]), User(api, running, USERS["W-C"])
            await _propose(worker, "失联", "今天", reason="连续两周联系不上")
            await worker.press("确认")
            await _drain(db, running, clock)
            # Both are alerted before anyone has confirmed: the police officer too.
            await _arrives(api, USERS["W-P"], "失联报告", "P-MINE")
            await _arrives(api, USERS["W-C"], "失联报告", "P-MINE")
            await cadre.press("✅ 确认")
            await _drain(db, running, clock)
            await _arrives(api, USERS["W-1"], "已获确认")
        finally:
            await running.stop()
    with db.unit_of_work() as s:
        assert s.scalar(select(Person.status).where(Person.id == ids["P-MINE"])) is Status.lost_contact
