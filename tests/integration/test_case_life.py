"""状态变更 (issue 14 §1): a change proposed from the card, confirmed by cadre or police, applied once.

The clock is Wednesday 4 March 2026, 10:00 in Shanghai (tests/conftest.py: now).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models.alerts import AlertLog
from models.casework import CaseChange
from models.clock import FrozenClock
from models.people import Person, Status
from tests.integration.test_reports_support import USERS, audits, chat_as, city, outbox, records, tap
from tests.support.chat import CoreChat, build_core


async def propose(db, now, person_id: int, kind: str, *, worker: str = "W-1", reason: str = "情况属实"):
    """From the card: 状态变更 → kind → today → (its own step) → reason → confirm."""
    chat = chat_as(db, FrozenClock(now), worker)
    await chat.press(f"p:{person_id}")
    await tap(chat, "状态变更")
    await tap(chat, kind)
    await tap(chat, "今天")
    if kind == "强制隔离戒毒":
        await chat.say("2027-3-1")
    await chat.say(reason)
    return chat


def change(db) -> CaseChange:
    with db.unit_of_work() as s:
        row = s.scalars(select(CaseChange).order_by(CaseChange.id.desc())).first()
        s.expunge_all()
    return row


def person(db, person_id: int) -> Person:
    with db.unit_of_work() as s:
        row = s.get(Person, person_id)
        s.expunge_all()
    return row


async def test_the_confirm_screen_names_who_will_be_asked(db, keys, now):
    ids = city(db, keys, now)
    chat = await propose(db, now, ids["P-MINE"], "强制隔离戒毒")
    assert "保存后将请" in chat.texts()[-1] and "民警" in chat.texts()[-1] and "社区专干" in chat.texts()[-1]
    assert change(db) is None  # nothing saved before confirming


async def test_isolation_confirmed_by_police_sets_status_and_release_date(db, keys, now):
    ids = city(db, keys, now)
    chat = await propose(db, now, ids["P-MINE"], "强制隔离戒毒")
    await tap(chat, "确认")
    row = change(db)
    assert (row.kind, row.decided_at, row.expected_release) == ("isolation", None, date(2027, 3, 1))
    asked = [m for m in outbox(db) if m.payload.get("buttons")]
    assert sorted(m.chat_id for m in asked) == [USERS["W-C"], USERS["W-P"]]
    assert "已请" in chat.texts()[-1]
    assert person(db, ids["P-MINE"]).status is Status.community_detox  # not before it is confirmed
    police = chat_as(db, FrozenClock(now), "W-P")
    await police.press(f"cd:{row.id}:y")
    assert "已确认" in police.texts()[0]
    after = person(db, ids["P-MINE"])
    assert (after.status, after.release_date) == (Status.compulsory_isolation, date(2027, 3, 1))
    told = [m for m in outbox(db) if m.chat_id == USERS["W-1"]]
    assert len(told) == 1 and "已获确认" in told[-1].payload["text"]
    assert [e.record_id for e in audits(db, "confirmed") if e.record_type == "case_change"] == [row.id]


async def test_a_second_confirmer_is_told_it_was_already_decided(db, keys, now):
    ids = city(db, keys, now)
    await tap(await propose(db, now, ids["P-MINE"], "死亡"), "确认")
    row = change(db)
    await chat_as(db, FrozenClock(now), "W-C").press(f"cd:{row.id}:n")
    police = chat_as(db, FrozenClock(now), "W-P")
    await police.press(f"cd:{row.id}:y")
    assert police.toast() == "这项变更已经处理过了。"
    assert person(db, ids["P-MINE"]).status is Status.community_detox
    assert [m for m in outbox(db) if m.chat_id == USERS["W-1"]][-1].payload["text"].count("退回") == 1


async def test_others_may_not_decide(db, keys, now):
    ids = city(db, keys, now)
    await tap(await propose(db, now, ids["P-MINE"], "死亡"), "确认")
    row = change(db)
    for who in (
        "W-1",
        "W-2",
        "W-X",
        "W-U",
    ):  # the proposer, a colleague, another area's worker and supervisor
        chat = chat_as(db, FrozenClock(now), who)
        await chat.press(f"cd:{row.id}:y")
    assert change(db).decided_at is None
    assert person(db, ids["P-MINE"]).status is Status.community_detox


async def test_discharge_closes_the_case_and_forms_refuse_new_records(db, keys, now):
    ids = city(db, keys, now)
    await tap(await propose(db, now, ids["P-MINE"], "解除"), "确认")
    await chat_as(db, FrozenClock(now), "W-S").press(f"cd:{change(db).id}:y")
    after = person(db, ids["P-MINE"])
    assert (after.status, after.programme_end) == (Status.released, now.date())
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"p:{ids['P-MINE']}")
    card = chat.texts()[0]
    labels = [b.text for a in chat.last for row in getattr(a, "buttons", ()) for b in row]
    assert "P-MINE" in card and "状态变更" not in " ".join(labels) and not any("走访" in b for b in labels)
    await chat.press(f"r:visit:{ids['P-MINE']}")
    assert "已结案" in chat.texts()[0]
    assert records(db) == []


async def test_lost_contact_alerts_at_once_and_found_restores_the_status(db, keys, now):
    ids = city(db, keys, now)
    chat = await propose(db, now, ids["P-MINE"], "失联")
    await tap(chat, "确认")
    row = change(db)
    alerts = [m for m in outbox(db) if "失联" in m.payload["text"]]
    assert sorted(m.chat_id for m in alerts) == [USERS["W-C"], USERS["W-P"]]
    with db.unit_of_work() as s:
        assert s.scalars(select(AlertLog.kind).where(AlertLog.source_id == row.id)).all() == ["lost_contact"]
    await chat_as(db, FrozenClock(now), "W-C").press(f"cd:{row.id}:y")
    assert person(db, ids["P-MINE"]).status is Status.lost_contact
    chat = await propose(db, now, ids["P-MINE"], "恢复联系")
    await tap(chat, "确认")
    await chat_as(db, FrozenClock(now), "W-P").press(f"cd:{change(db).id}:y")
    assert person(db, ids["P-MINE"]).status is Status.community_detox


async def test_lost_contact_with_nobody_linked_tells_the_sender(db, keys, now):
    ids = city(db, keys, now)
    with db.unit_of_work() as s:
        from models.people import Worker

        for w in s.scalars(select(Worker).where(Worker.code.in_(["W-C", "W-P"]))):
            w.telegram_user_id = None
    chat = await propose(db, now, ids["P-MINE"], "失联")
    assert "没有已关联机器人的" in chat.texts()[-1]
    await tap(chat, "确认")
    assert "没有已关联机器人的" in chat.texts()[-1]
    with db.unit_of_work() as s:
        entry = s.scalars(select(AlertLog)).one()
    assert entry.unrouted == "cadre,police"


async def test_an_agreement_applies_at_once_and_the_card_shows_the_timeline(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"p:{ids['P-MINE']}")
    await tap(chat, "状态变更")
    await tap(chat, "签协议")
    await tap(chat, "昨天")
    await tap(chat, "24 个月")
    assert "无需确认" in chat.texts()[-1]
    await tap(chat, "确认")
    assert person(db, ids["P-MINE"]).agreement_signed_on == date(2026, 3, 3)
    assert change(db).accepted is True and outbox(db) == []
    await tap(await propose(db, now, ids["P-MINE"], "强制隔离戒毒"), "确认")
    await chat.press(f"p:{ids['P-MINE']}")
    card = chat.texts()[0]
    assert "案件经过" in card
    assert card.index("强制隔离戒毒（待确认）") < card.index("2026-03-03 签协议（24 个月）")


async def test_family_and_unlinked_accounts_cannot_decide_or_propose(db, keys, now):
    ids = city(db, keys, now)
    await tap(await propose(db, now, ids["P-MINE"], "死亡"), "确认")
    row = change(db)
    stranger = CoreChat(build_core(db, FrozenClock(now)), 999_001)  # nobody linked this account
    for data in (f"cd:{row.id}:y", f"cc:{ids['P-MINE']}", f"ct:{row.id}:y"):
        await stranger.press(data)
    medical = chat_as(db, FrozenClock(now), "W-M")  # on the care team, but not a confirmer
    await medical.press(f"cd:{row.id}:y")
    await medical.press(f"cc:{ids['P-MINE']}")
    assert medical.toast() is not None and change(db).decided_at is None


async def test_a_closed_case_refuses_a_form_started_by_command(db, keys, now):
    ids = city(db, keys, now)
    await tap(await propose(db, now, ids["P-MINE"], "死亡"), "确认")
    await chat_as(db, FrozenClock(now), "W-P").press(f"cd:{change(db).id}:y")
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.say("/note P-MINE")
    assert "已结案" in chat.texts()[0] and "死亡" in chat.texts()[0]
    assert records(db) == []


async def test_a_change_the_status_moved_past_is_not_applied(db, keys, now):
    ids = city(db, keys, now)
    await tap(await propose(db, now, ids["P-MINE"], "强制隔离戒毒"), "确认")
    isolation = change(db)
    await tap(await propose(db, now, ids["P-MINE"], "死亡"), "确认")
    await chat_as(db, FrozenClock(now), "W-P").press(f"cd:{change(db).id}:y")
    police = chat_as(db, FrozenClock(now), "W-P")
    await police.press(f"cd:{isolation.id}:y")
    assert "不再适用" in police.toast()
    assert person(db, ids["P-MINE"]).status is Status.deceased and change(db).id != isolation.id


async def test_a_closed_case_is_not_offered_by_the_forms_person_picker(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.say("/visit")
    assert "P-MINE" in " ".join(b.text for a in chat.last for row in getattr(a, "buttons", ()) for b in row)
    await tap(await propose(db, now, ids["P-MINE"], "死亡"), "确认")
    await chat_as(db, FrozenClock(now), "W-P").press(f"cd:{change(db).id}:y")
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.say("/visit")
    assert "P-MINE" not in " ".join(
        b.text for a in chat.last for row in getattr(a, "buttons", ()) for b in row
    )
