"""The morning list (早间提醒): once per worker and day, at their time, edited as work gets done."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import delete

from bot.db import Database
from bot.outbox import Sender
from handlers.reminders.jobs import morning, refresh_mornings, refresh_worker
from handlers.render import masked
from models.casework import Delegation
from models.clock import FrozenClock
from models.outbox import OutboxMessage
from models.people import CareAssignment, Role, Worker
from models.services.reminders.due_lists import PAGE_LINES
from tests.integration.reminders_city import City, at, build_city, linked_worker
from tests.support.outbox import FAST, FakeTelegram

WEDNESDAY = date(2026, 3, 4)
MORNING = at(WEDNESDAY, time(8, 30))


def _city(db: Database) -> City:
    city = build_city(db)
    city.person(created=at(date(2026, 2, 1)))
    return city


def _morning_rows(city: City) -> dict[str, OutboxMessage]:
    return {k: r for k, r in city.outbox().items() if k.startswith("morning:")}


def test_the_morning_list_names_people_by_code_with_report_and_why_buttons(db: Database) -> None:
    city = _city(db)
    assert city.run(morning, MORNING) == 1
    [row] = _morning_rows(city).values()
    person = city.people[0]
    assert row.chat_id == city.worker.telegram_user_id
    assert row.dedupe_key == f"morning:{city.worker.id}:2026-03-04"
    text = row.payload["text"]
    assert person.code in text and person.name not in text  # lock-screen hygiene
    assert "已逾期" in text and "本周截止" in text  # last week's meeting, and this week's
    data = [d for line in row.payload["buttons"] for _, d in line]
    assert masked(person.name) + f"（{person.code}）" in text  # recognisable: 杨**（P-001）
    assert f"why:{person.id}:meeting:20260302" in data and f"why:{person.id}:meeting:20260223" in data
    assert not row.urgent


def test_no_message_when_nothing_is_due(db: Database) -> None:
    city = _city(db)
    city.all_done_before(city.people[0], WEDNESDAY)
    assert city.run(morning, MORNING) == 0
    assert _morning_rows(city) == {}


def test_a_worker_gets_the_list_at_their_own_time_once_a_day(db: Database) -> None:
    city = _city(db)
    with db.unit_of_work() as session:
        session.get(type(city.worker), city.worker.id).reminder_time = "09:30"
    assert city.run(morning, at(WEDNESDAY, time(8, 30))) == 0
    assert city.run(morning, at(WEDNESDAY, time(9, 30))) == 1
    assert city.run(morning, at(WEDNESDAY, time(10, 0))) == 0
    assert len(_morning_rows(city)) == 1


def test_a_repeated_morning_run_queues_nothing_new(db: Database) -> None:
    city = _city(db)
    city.run(morning, MORNING)
    before = city.outbox()
    assert city.run(morning, MORNING + timedelta(minutes=10)) == 0
    assert city.outbox().keys() == before.keys()


def test_no_morning_list_on_a_public_holiday_or_a_weekend(db: Database) -> None:
    city = _city(db)
    assert city.run(morning, at(date(2026, 10, 1), time(9))) == 0  # National Day
    assert city.run(morning, at(date(2026, 3, 7), time(9))) == 0  # a Saturday
    assert _morning_rows(city) == {}


def test_no_morning_list_after_quiet_hours_begin(db: Database) -> None:
    city = _city(db)
    assert city.run(morning, at(WEDNESDAY, time(21, 30))) == 0


def test_recording_the_meeting_ticks_it_off_in_an_edit_of_the_morning_message(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    city.run(morning, MORNING)
    city.meet(person, at(WEDNESDAY, time(10)))
    assert city.run(refresh_worker, at(WEDNESDAY, time(10, 5)), city.worker.id) == 1
    edit = city.outbox()[f"morning:{city.worker.id}:2026-03-04:r1"]
    assert (
        edit.payload["kind"] == "edit" and edit.payload["edit_of"] == f"morning:{city.worker.id}:2026-03-04"
    )
    assert "今天已完成" in edit.payload["text"] and "<s>" in edit.payload["text"]
    assert "已逾期" in edit.payload["text"]  # last week's is still open
    assert city.run(refresh_worker, at(WEDNESDAY, time(10, 6)), city.worker.id) == 0  # no change: no edit


def test_each_further_change_is_one_more_revision(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    city.run(morning, MORNING)
    city.meet(person, at(WEDNESDAY, time(10)))
    city.run(refresh_worker, at(WEDNESDAY, time(10, 5)), city.worker.id)
    city.meet(person, at(date(2026, 2, 27)))  # last week's, filed late
    assert city.run(refresh_mornings, at(WEDNESDAY, time(11))) == 1
    last = city.outbox()[f"morning:{city.worker.id}:2026-03-04:r2"]
    assert "今天已完成 2 项" in last.payload["text"]
    assert last.payload["text"].count("<s>") == 2


def test_a_saved_record_ticks_off_the_list_the_person_is_on(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    city.run(morning, MORNING)
    city.meet(person, at(WEDNESDAY, time(10)))
    assert city.run(lambda work, pid: work.tick_off(pid), at(WEDNESDAY, time(10)), person.id) == 1
    assert f"morning:{city.worker.id}:2026-03-04:r1" in city.outbox()


def _delegate(db: Database, city: City, to: int, *, minutes: int = 0, cancelled: bool = False) -> None:
    with db.unit_of_work() as session:
        session.add(
            Delegation(
                from_worker_id=city.worker.id,
                to_worker_id=to,
                starts_on=WEDNESDAY,
                ends_on=WEDNESDAY + timedelta(days=5),
                created_at=MORNING + timedelta(minutes=minutes),
                cancelled=cancelled,
            )
        )


def test_a_saved_record_ticks_off_the_delegate_s_list_the_latest_delegation_winning(db: Database) -> None:
    city = _city(db)
    first = linked_worker(db, city.grid, Role.grid_worker)
    second = linked_worker(db, city.grid, Role.grid_worker)
    _delegate(db, city, first.id)
    _delegate(db, city, second.id, minutes=1)  # the later one takes the list
    _delegate(db, city, first.id, minutes=2, cancelled=True)  # a cancelled one does not
    city.run(morning, MORNING)
    assert {r.chat_id for r in _morning_rows(city).values()} == {second.telegram_user_id}
    person = city.people[0]
    city.meet(person, at(WEDNESDAY, time(10)))
    assert city.run(lambda work, pid: work.tick_off(pid), at(WEDNESDAY, time(10)), person.id) == 1
    assert f"morning:{second.id}:2026-03-04:r1" in city.outbox()


def test_no_tick_off_when_the_list_s_owner_is_gone_or_the_person_has_none(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    city.run(morning, MORNING)
    city.meet(person, at(WEDNESDAY, time(10)))
    with db.unit_of_work() as session:
        session.get(Worker, city.worker.id).active = False
    assert city.run(lambda work, pid: work.tick_off(pid), at(WEDNESDAY, time(10)), person.id) == 0
    with db.unit_of_work() as session:
        session.get(Worker, city.worker.id).active = True
        session.execute(delete(CareAssignment).where(CareAssignment.person_id == person.id))
    assert city.run(lambda work, pid: work.tick_off(pid), at(WEDNESDAY, time(10)), person.id) == 0
    assert not any(":r" in key for key in _morning_rows(city))


def test_no_edit_for_a_worker_who_got_no_morning_message(db: Database) -> None:
    city = _city(db)
    assert city.run(refresh_worker, MORNING, city.worker.id) == 0


def test_while_on_leave_the_colleague_gets_the_list(db: Database) -> None:
    city = _city(db)
    colleague = linked_worker(db, city.grid, Role.grid_worker)
    with db.unit_of_work() as session:
        session.add(
            Delegation(
                from_worker_id=city.worker.id,
                to_worker_id=colleague.id,
                starts_on=WEDNESDAY,
                ends_on=WEDNESDAY + timedelta(days=5),
                created_at=MORNING,
            )
        )
    assert city.run(morning, MORNING) == 1
    [row] = _morning_rows(city).values()
    assert row.chat_id == colleague.telegram_user_id


async def test_a_swapped_working_saturday_has_its_morning_list_and_it_goes_out(db: Database) -> None:
    city = _city(db)
    saturday = at(date(2026, 10, 10), time(8, 30))  # 调休: a working day for National Day
    assert city.run(morning, saturday) == 1
    telegram = FakeTelegram()
    await Sender(db, telegram, clock=FrozenClock(saturday), policy=city.policy, settings=FAST).drain()
    [text] = telegram.texts(city.worker.telegram_user_id or 0)
    assert city.people[0].code in text


def test_a_long_morning_list_carries_a_page_of_items_and_a_button_to_the_rest(db: Database) -> None:
    city = _city(db)
    for _ in range(4):  # with the first, 5 people and about 35 items: the reported morning had 28 lines
        city.person(created=at(date(2026, 2, 1)))
    assert city.run(morning, MORNING) == 1
    [row] = _morning_rows(city).values()
    data = [d for line in row.payload["buttons"] for _, d in line]
    assert len(data) <= 12 and data[-1] == "td:1"
    assert sum(d.startswith("why:") for d in data) == PAGE_LINES
