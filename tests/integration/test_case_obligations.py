"""Issue 14.2/14.3: registration, a missed assessment and counselling met in chat, dated when they
happened, and gone from the open obligations (the card's Python rules and the lists' SQL alike)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from models.areas import Area
from models.clock import FrozenClock
from models.people import CaseRole, Person, Role, Status
from models.policy import Policy
from models.records import RecordKind
from models.services.directory.entries import assign
from models.services.obligations.due import obligation_rows, person_obligations
from tests.factories import make_worker
from tests.integration.test_reports_support import chat_as, city, records, tap
from tests.support.chat import CoreChat, build_core

TODAY = date(2026, 3, 4)
PSYCHOLOGIST = 520
COUNSELLING_RULE = '[[rule]]\nobligation = "counselling"\nunit = "month"\n'


def released_on(db, person_id: int, day: date) -> None:
    with db.unit_of_work() as s:
        person = s.get(Person, person_id)
        person.status, person.release_date, person.registered_on = Status.community_rehab, day, None


def with_psychologist(db, person_id: int) -> None:
    """A psychologist on the person's team, and a monthly counselling rule for the person."""
    with db.unit_of_work() as s:
        person = s.get(Person, person_id)
        worker = make_worker(s, s.get(Area, person.area_id), code="W-PSY", role=Role.psychologist)
        worker.telegram_user_id = PSYCHOLOGIST
        assign(s, person, worker, CaseRole.psychologist)
        person.schedule_override = COUNSELLING_RULE


def labels(chat: CoreChat) -> list[str]:
    return [b.text for action in chat.last for row in getattr(action, "buttons", ()) for b in row]


def open_items(db, person_id: int) -> set[tuple[str, date]]:
    """(obligation, period start) of what is still owed, by the Python rules and by the SQL lists."""
    policy = Policy()
    with db.unit_of_work() as s:
        python = {
            (str(i.obligation), i.period_start)
            for i in person_obligations(s, person_id, TODAY, policy)
            if i.state != "done"
        }
        sql = {
            (str(r.obligation), r.period_start)
            for r in obligation_rows(s, today=TODAY, policy=policy, open_only=True)
            if r.person_id == person_id
        }
    assert python == sql
    return python


async def test_registration_after_release_is_filed_from_the_card_and_meets_the_obligation(db, keys, now):
    ids = city(db, keys, now)
    released_on(db, ids["P-MINE"], date(2026, 2, 25))
    assert ("registration", date(2026, 2, 25)) in open_items(db, ids["P-MINE"])
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"p:{ids['P-MINE']}")
    await tap(chat, "报到登记")
    await chat.say("2026-02-24")  # before the release: refused, with the reason
    assert "解除强制隔离戒毒的日期" in chat.texts()[0]
    await tap(chat, "昨天")
    await tap(chat, "派出所")
    await tap(chat, "跳过")
    assert "报到期限 2026年3月11日（在期限内）" in chat.texts()[0]
    await tap(chat, "确认")
    assert "已保存" in chat.texts()[0]
    [record] = records(db)
    assert (record.kind, record.subkind, record.late) == (RecordKind.registration, "police", False)
    assert record.occurred_at == datetime(2026, 3, 3, 4, 0, tzinfo=UTC)
    assert not any(o == "registration" for o, _ in open_items(db, ids["P-MINE"]))
    with db.unit_of_work() as s:
        assert s.scalar(select(Person.registered_on).where(Person.id == ids["P-MINE"])) == date(2026, 3, 3)


async def test_a_missed_half_year_assessment_dated_in_its_period_closes_it_and_stays_late(db, keys, now):
    ids = city(db, keys, now)
    missed = ("quantitative_assessment", date(2025, 7, 1))
    assert missed in open_items(db, ids["P-MINE"])
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:assessment:{ids['P-MINE']}")
    await tap(chat, "量化评估")
    await chat.say("2025-06-30")  # the half-year before the missed one: out of reach
    assert "只能补录" in chat.texts()[0]
    await chat.say("2025-12-20")
    await chat.say("70")
    await chat.say("补录：12月入户评估")
    await tap(chat, "保持现有分类")
    assert "2025年12月20日" in chat.texts()[0]
    await tap(chat, "确认")
    assert "补录" in chat.texts()[0]
    [record] = records(db)
    assert record.late and record.occurred_at == datetime(2025, 12, 20, 4, 0, tzinfo=UTC)
    still = open_items(db, ids["P-MINE"])
    assert missed not in still and ("quantitative_assessment", date(2026, 1, 1)) in still


async def test_the_psychologist_files_counselling_which_meets_a_configured_obligation(db, keys, now):
    ids = city(db, keys, now)
    with_psychologist(db, ids["P-MINE"])
    assert ("counselling", date(2026, 3, 1)) in open_items(db, ids["P-MINE"])
    chat = CoreChat(build_core(db, FrozenClock(now)), PSYCHOLOGIST)
    await chat.press(f"p:{ids['P-MINE']}")
    shown = " ".join(labels(chat))
    assert "心理辅导" in shown and "走访" not in shown and "检测" not in shown and "报到" not in shown
    for label in ("心理辅导", "今天", "个体面询", "心瘾与防复吸", "情况平稳", "跳过", "确认"):
        await tap(chat, label)
    assert "已保存" in chat.texts()[0]
    [record] = records(db)
    assert (record.kind, record.subkind, record.result) == (RecordKind.counselling, "individual", "steady")
    assert record.details == {"focus": "craving"}
    still = open_items(db, ids["P-MINE"])
    assert ("counselling", date(2026, 3, 1)) not in still  # February's, owed too, waits for its own


async def test_the_medical_worker_counsels_but_a_grid_worker_is_not_offered_the_form(db, keys, now):
    ids = city(db, keys, now)
    worker = chat_as(db, FrozenClock(now), "W-1")
    await worker.press(f"p:{ids['P-MINE']}")
    assert "心理辅导" not in " ".join(labels(worker))
    await worker.press(f"r:counselling:{ids['P-MINE']}")
    assert worker.toast() == "您没有权限进行此操作。"
    medical = chat_as(db, FrozenClock(now), "W-M")
    await medical.press(f"r:counselling:{ids['P-MINE']}")
    for label in ("今天", "电话", "情绪疏导", "需持续关注", "跳过", "确认"):
        await tap(medical, label)
    assert [r.kind for r in records(db)] == [RecordKind.counselling]


async def test_a_routine_visit_is_dated_yesterday_from_its_confirm_screen(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"p:{ids['P-MINE']}")
    for label in ("常规走访", "跳过", "跳过"):
        await tap(chat, label)
    assert "2026年3月4日" in chat.texts()[0]
    await tap(chat, "改日期")
    await tap(chat, "昨天")
    assert "请确认" in chat.texts()[0] and "2026年3月3日" in chat.texts()[0]
    await tap(chat, "确认")
    [record] = records(db)
    assert record.occurred_at == datetime(2026, 3, 3, 4, 0, tzinfo=UTC) and not record.late


async def test_back_from_the_date_opened_on_the_confirm_screen_returns_there(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:note:{ids['P-MINE']}")
    await chat.say("电话随访")
    await tap(chat, "改日期")
    await tap(chat, "返回")
    assert "请确认" in chat.texts()[0] and "2026年3月4日" in chat.texts()[0]
    await tap(chat, "确认")
    [record] = records(db)
    assert record.occurred_at == now


async def test_the_date_picker_pages_back_to_the_end_of_the_window(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"r:thought_report:{ids['P-MINE']}")
    for _ in range(4):
        await tap(chat, "更早")
    shown = labels(chat)
    assert not any("更早" in text for text in shown) and any("较近" in text for text in shown)
    assert sum("2月" in text for text in shown) == 2  # 4 and 3 February: the 30th day is the last
    await tap(chat, "2月3日")
    await tap(chat, "口头")
    await tap(chat, "跳过")
    await tap(chat, "确认")
    [record] = records(db)
    assert record.late and record.occurred_at == datetime(2026, 2, 3, 4, 0, tzinfo=UTC)


async def test_a_locality_with_a_shorter_window_refuses_older_days(db, keys, now):
    ids = city(db, keys, now)
    core = build_core(db, FrozenClock(now))
    core.policy = Policy(record_window_days=7)
    chat = CoreChat(core, 501)
    await chat.press(f"r:thought_report:{ids['P-MINE']}")
    assert not any("更早" in text for text in labels(chat))
    await chat.say("2026-02-25")
    assert "最近 7 天" in chat.texts()[0]
