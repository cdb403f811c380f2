"""Group sessions (集中教育, campaign-day activities): many people ticked, one summary, one record each."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import func, select

from bot.db import Database
from handlers.events import Edit
from handlers.groups.picker import PICK_PAGE, GroupPickV1
from models.audit import AuditEntry
from models.clock import FrozenClock
from models.records import Record, RecordKind
from tests.integration.reminders_city import City, at, build_city
from tests.support.chat import CoreChat, build_core

NOW = at(date(2026, 3, 4), time(10))  # a Wednesday
DEC4 = at(date(2026, 12, 4), time(15))  # 12·4, National Constitution Day: a Friday


def _city(db: Database, people: int) -> City:
    city = build_city(db)
    for _ in range(people):
        city.person(created=at(date(2026, 2, 1)))
    return city


def _records(db: Database) -> list[Record]:
    with db.unit_of_work() as s:
        rows = list(s.scalars(select(Record).where(Record.kind == RecordKind.education).order_by(Record.id)))
        s.expunge_all()
    return rows


def _buttons(chat: CoreChat) -> list[str]:
    return [b.data for a in chat.last for row in getattr(a, "buttons", ()) for b in row]


async def test_ten_people_ticked_all_get_one_record_each_after_one_confirmation(db: Database) -> None:
    city = _city(db, 10)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), city.worker.telegram_user_id)
    await chat.say("/group")
    await chat.press(chat.button("全选"))
    await chat.press(chat.button("下一步"))
    await chat.press(chat.button("集中法制教育"))
    await chat.press(chat.button("禁毒法律法规"))
    await chat.press(chat.button("今天"))
    await chat.press(chat.button("跳过"))
    summary = chat.texts()[-1]
    assert "10 人" in summary and "请确认" in summary
    await chat.press(chat.button("确认"))
    records = _records(db)
    assert sorted(r.person_id for r in records) == sorted(p.id for p in city.people)
    assert {(r.subkind, r.details["topic_key"], r.details["group"]["size"]) for r in records} == {
        ("group", "law", 10)
    }
    assert "已保存" in chat.texts()[-1]
    with db.unit_of_work() as s:  # audited per person
        audited = s.scalars(
            select(AuditEntry.person_id).where(
                AuditEntry.action == "create", AuditEntry.record_type == "education"
            )
        ).all()
    assert sorted(audited) == sorted(p.id for p in city.people)


async def test_a_repeated_confirm_tap_saves_nothing_more(db: Database) -> None:
    city = _city(db, 3)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), city.worker.telegram_user_id)
    await chat.say("/group")
    for label in ("全选", "下一步", "集中法制教育", "禁毒法律法规", "今天", "跳过"):
        await chat.press(chat.button(label))
    confirm = chat.button("确认")
    await chat.press(confirm)
    await chat.press(confirm)
    assert len(_records(db)) == 3
    assert chat.toast() is not None  # the second tap is told the form is closed


async def test_only_the_ticked_people_get_a_record(db: Database) -> None:
    city = _city(db, 4)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), city.worker.telegram_user_id)
    await chat.say("/group")
    first, second = city.people[0], city.people[2]
    await chat.press(chat.button(first.code))
    await chat.press(chat.button(second.code))
    await chat.press(chat.button(first.code))  # ticked by mistake: unticked
    await chat.press(chat.button("下一步"))
    for label in ("集中法制教育", "禁毒法律法规", "今天", "跳过", "确认"):
        await chat.press(chat.button(label))
    assert [r.person_id for r in _records(db)] == [second.id]


async def test_a_long_caseload_pages_and_no_picker_message_has_more_than_twelve_buttons(db: Database) -> None:
    city = _city(db, 20)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), city.worker.telegram_user_id)
    await chat.say("/group")
    assert len(_buttons(chat)) <= 12
    seen = set()
    for _ in range(3):
        seen |= {d for d in _buttons(chat) if d.split(":")[1].startswith("t")}
        if "下一页" not in str(chat.last):
            break
        await chat.press(chat.button("下一页"), message_id=5)
        assert [a for a in chat.last if isinstance(a, Edit)], "pages in place"
        assert len(_buttons(chat)) <= 12
    assert len(seen) == 20 and PICK_PAGE <= 7


async def test_a_selection_made_on_another_caseload_is_refused_and_audited(db: Database) -> None:
    city = _city(db, 3)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), city.worker.telegram_user_id)
    await chat.say("/group")
    press = GroupPickV1.parse(chat.button("下一步").removeprefix("gp:"))
    assert press is not None
    city.person(created=at(date(2026, 2, 1)))  # the caseload changed since the list was shown
    await chat.press(press.pack())
    assert chat.toast() is not None and not chat.texts()
    with db.unit_of_work() as s:
        refused = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "refused", AuditEntry.record_type == "group")
        )
    assert refused == 1 and _records(db) == []


async def test_on_a_campaign_day_its_activity_is_recorded_on_that_day(db: Database) -> None:
    city = _city(db, 2)
    chat = CoreChat(build_core(db, FrozenClock(DEC4)), city.worker.telegram_user_id)
    await chat.say("/group")
    for label in ("全选", "下一步", "国家宪法日", "跳过", "确认"):
        await chat.press(chat.button(label))
    records = _records(db)
    assert len(records) == 2
    assert {r.details["campaign"] for r in records} == {"dec4"}
    assert {r.details["group"]["campaign_on"] for r in records} == {"2026-12-04"}


async def test_nobody_ticked_cannot_go_on(db: Database) -> None:
    city = _city(db, 2)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), city.worker.telegram_user_id)
    await chat.say("/group")
    await chat.press(chat.button("下一步"))
    assert chat.toast() and "至少" in chat.toast() and not chat.texts()
