"""/delegate: a colleague covers my caseload for a date range; records still name who filed them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models.audit import AuditEntry
from models.casework import Delegation
from models.clock import FrozenClock
from models.people import Worker
from models.services.directory.delegation import DelegationError, delegate, delegate_of
from models.services.identity import resolve
from tests.integration.test_reports_support import USERS, chat_as, city, outbox, records, tap


def _worker_id(db, code: str) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(Worker.id).where(Worker.code == code))


async def _delegate_to_w2_from_tomorrow(db, clock) -> None:
    chat = chat_as(db, clock, "W-1")
    await chat.say("/delegate")
    await tap(chat, "网格员")  # W-2, the only other grid worker of the community
    await tap(chat, "明天")
    await tap(chat, "7 天")
    await tap(chat, "确认")
    assert "已委托给" in chat.texts()[0]


async def test_delegation_follows_the_date_range_and_records_name_both_workers(db, keys, now):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    await _delegate_to_w2_from_tomorrow(db, clock)
    [told] = outbox(db)
    assert told.chat_id == USERS["W-2"] and "2026年3月5日" in told.payload["text"]
    colleague = chat_as(db, clock, "W-2")
    await colleague.press(f"r:visit:{ids['P-MINE']}")
    assert colleague.toast() == "您没有权限进行此操作。"  # not yet: it starts tomorrow
    clock.advance(timedelta(days=1))
    await colleague.say("/my")
    assert "P-MINE" in colleague.texts()[0] and "📎代 测试员" in colleague.texts()[0]
    await colleague.press(f"r:visit:{ids['P-MINE']}")
    for label in ("常规", "跳过", "跳过", "确认"):
        await tap(colleague, label)
    assert "代同事填写" in colleague.texts()[0]
    [record] = records(db)
    assert (record.author_id, record.on_behalf_of) == (_worker_id(db, "W-2"), _worker_id(db, "W-1"))
    clock.advance(timedelta(days=7))  # the range is over: the caseload went back by itself
    await colleague.press(f"p:{ids['P-MINE']}")
    assert colleague.toast() == "您没有权限进行此操作。"


async def test_the_delegating_worker_may_end_it_early_and_the_colleague_is_told(db, keys, now):
    ids = city(db, keys, now)
    clock = FrozenClock(now)
    await _delegate_to_w2_from_tomorrow(db, clock)
    clock.advance(timedelta(days=1))
    colleague = chat_as(db, clock, "W-2")
    with db.unit_of_work() as s:
        delegation_id = s.scalar(select(Delegation.id))
    await colleague.press(f"de:{delegation_id}")  # only the delegating worker may end it
    assert colleague.toast() == "您没有权限进行此操作。"
    owner = chat_as(db, clock, "W-1")
    await owner.say("/delegate")
    assert "委托给 测试员" in owner.texts()[0]
    await tap(owner, "结束委托")
    assert "委托已结束" in owner.last[-1].text
    assert [r.chat_id for r in outbox(db)] == [USERS["W-2"], USERS["W-2"]]
    await colleague.press(f"p:{ids['P-MINE']}")
    assert colleague.toast() == "您没有权限进行此操作。"


async def test_delegation_dates_are_checked_at_every_step(db, keys, now):
    city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.say("/delegate")
    await tap(chat, "网格员")
    await chat.say("3-1")  # Sunday: in the past
    assert "不能早于今天" in chat.texts()[0]
    await chat.say("下周")
    assert "无法识别" in chat.texts()[0]
    await chat.say("3-10")
    await chat.say("3-9")
    assert "不能早于开始日期" in chat.texts()[0]
    await chat.say("2026-07-01")
    assert "最长 90 天" in chat.texts()[0]
    await chat.say("3-20")
    await tap(chat, "确认")
    with db.unit_of_work() as s:
        row = s.scalars(select(Delegation)).one()
    assert (row.starts_on, row.ends_on) == (date(2026, 3, 10), date(2026, 3, 20))


def test_a_delegation_goes_only_to_a_colleague_of_the_community_and_never_overlaps(db, keys, now):
    city(db, keys, now)
    today = date(2026, 3, 4)
    with db.unit_of_work() as s:
        w1 = resolve(s, USERS["W-1"])
        far, near = (s.scalar(select(Worker.id).where(Worker.code == c)) for c in ("W-X", "W-2"))
        with pytest.raises(DelegationError, match="not_colleague"):
            delegate(s, w1, far, today, today, now=now, today=today)
        delegate(s, w1, near, today, today + timedelta(days=3), now=now, today=today)
        with pytest.raises(DelegationError, match="overlap"):
            delegate(s, w1, near, today + timedelta(days=2), today + timedelta(days=5), now=now, today=today)
        assert delegate_of(s, w1.worker_id, today + timedelta(days=3)) == near
        assert delegate_of(s, w1.worker_id, today + timedelta(days=4)) is None
        refused = s.scalars(select(AuditEntry).where(AuditEntry.action == "refused")).all()
        assert [a.detail for a in refused] == ["not_colleague"]
