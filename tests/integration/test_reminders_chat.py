"""/today, "why is this due?", /settings and /pause through the neutral chat core."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from bot.db import Database
from handlers.reminders.jobs import morning
from handlers.render import masked
from models.audit import AuditEntry
from models.casework import Pause
from models.clock import FrozenClock
from models.people import Role, Worker
from tests.integration.reminders_city import City, at, build_city, linked_worker
from tests.support.chat import CoreChat, build_core

WEDNESDAY = date(2026, 3, 4)
NOW = at(WEDNESDAY, time(10))


def _city(db: Database) -> City:
    city = build_city(db)
    city.person(created=at(date(2026, 2, 1)))
    return city


def _chat(db: Database, worker: Worker, clock: FrozenClock | None = None) -> CoreChat:
    return CoreChat(build_core(db, clock or FrozenClock(NOW)), worker.telegram_user_id)


def _data(chat: CoreChat) -> list[str]:
    return [b.data for action in chat.last for row in getattr(action, "buttons", ()) for b in row]


async def test_today_lists_what_is_due_with_a_report_and_a_why_button_per_item(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    chat = _chat(db, city.worker)
    await chat.say("/today")
    [text] = chat.texts()
    assert "今日待办" in text and person.code in text and person.name not in text
    assert "已逾期" in text and "本周截止" in text
    assert masked(person.name) + f"（{person.code}）" in text  # recognisable: 杨**（P-001）
    assert f"why:{person.id}:meeting:20260302" in _data(chat)
    await chat.press(f"why:{person.id}:meeting:20260302")  # why it is due, and the report that meets it
    assert f"r:visit:{person.id}" in _data(chat) and f"p:{person.id}" in _data(chat)


async def test_today_says_so_when_nothing_is_open_this_week(db: Database) -> None:
    city = _city(db)
    city.all_done_before(city.people[0], WEDNESDAY)
    city.meet(city.people[0], at(WEDNESDAY, time(9)))
    chat = _chat(db, city.worker)
    await chat.say("/today")
    assert "本周没有待完成的工作" in chat.texts()[0]


async def test_why_answers_with_the_rule_the_colour_and_the_period(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    chat = _chat(db, city.worker)
    await chat.press(f"why:{person.id}:meeting:20260302")
    [text] = chat.texts()
    assert "蓝色" in text and "每周 1 次见面" in text and "本周（3月2日–3月8日）" in text and "0/1" in text
    with db.unit_of_work() as session:
        reads = session.scalars(
            select(AuditEntry).where(AuditEntry.person_id == person.id, AuditEntry.detail == "why")
        )
        assert len(reads.all()) == 1


async def test_why_for_someone_outside_my_caseload_is_refused_and_says_nothing(db: Database) -> None:
    city = _city(db)
    stranger = linked_worker(db, city.grid, Role.grid_worker)
    chat = _chat(db, stranger)
    await chat.press(f"why:{city.people[0].id}:meeting:20260302")
    assert chat.toast() == "您没有权限进行此操作。" and chat.texts() == []
    await chat.press("why:999999:meeting")
    assert chat.toast() == "您没有权限进行此操作。"
    await chat.press("why:drop table:x")
    assert chat.texts() == []


async def test_a_worker_chooses_the_time_of_the_morning_list(db: Database) -> None:
    city = _city(db)
    chat = _chat(db, city.worker)
    await chat.say("/settings")
    assert "08:30" in chat.texts()[0] and "rt:0930" in _data(chat)
    await chat.press("rt:0930")
    assert "09:30" in chat.texts()[0]
    assert city.run(morning, at(WEDNESDAY, time(8, 30))) == 0
    assert city.run(morning, at(WEDNESDAY, time(9, 30))) == 1
    await chat.press("rt:0315")  # not offered: a forged button changes nothing
    with db.unit_of_work() as session:
        assert session.get(Worker, city.worker.id).reminder_time == "09:30"


async def test_a_worker_pauses_a_person_in_hospital_and_ends_the_pause_when_they_are_back(
    db: Database,
) -> None:
    city = _city(db)
    person = city.people[0]
    clock = FrozenClock(NOW)
    chat = _chat(db, city.worker, clock)
    await chat.say(f"/pause {person.code}")
    assert "目前没有暂停" in chat.texts()[0]
    await chat.press(f"pz:new:{person.id}")
    await chat.press(chat.button("住院"))
    await chat.press(chat.button("3月4日"))  # from today
    await chat.press(chat.button("3月17日"))  # two weeks
    assert "3月4日 至 3月17日" in chat.texts()[0]
    await chat.press(chat.button("确认"))
    with db.unit_of_work() as session:
        [pause] = session.scalars(select(Pause)).all()
        assert (pause.starts_on, pause.ends_on, pause.reason) == (WEDNESDAY, date(2026, 3, 17), "hospital")
    clock.set(at(date(2026, 3, 9), time(10)))
    await chat.say(f"/pause {person.code}")
    assert "进行中" in chat.texts()[0]
    await chat.press(f"pz:end:{person.id}:{pause.id}")
    assert "恢复正常" in chat.texts()[0]
    with db.unit_of_work() as session:
        assert session.get(Pause, pause.id).ends_on == date(2026, 3, 8)


async def test_only_the_care_team_may_pause_a_person(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    stranger = linked_worker(db, city.grid, Role.grid_worker)
    chat = _chat(db, stranger)
    await chat.say(f"/pause {person.code}")
    assert "没有找到" in chat.texts()[0]
    await chat.press(f"pz:new:{person.id}")
    assert chat.toast() == "您没有权限进行此操作。"
    medical = linked_worker(db, city.grid, Role.medical)
    await _chat(db, medical).say(f"/pause {person.code}")
    with db.unit_of_work() as session:
        assert session.scalars(select(Pause)).all() == []
