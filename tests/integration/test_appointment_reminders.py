"""A day's appointments: in the worker's morning list, and a family's 面谈提醒 (opted in, consented)."""

from __future__ import annotations

from datetime import date, time

from bot.db import Database
from handlers.appointments.family import remind_families
from handlers.reminders.jobs import morning
from handlers.render import masked
from models.casework import Appointment
from models.clock import FrozenClock
from models.people import FamilyMember
from tests.integration.reminders_city import City, at, build_city
from tests.support.chat import CoreChat, build_core

WEDNESDAY = date(2026, 3, 4)
MORNING = at(WEDNESDAY, time(8, 30))
FAMILY_CHAT = 8_300_001


def _city(db: Database) -> City:
    city = build_city(db)
    city.person(created=at(date(2026, 2, 1)))
    return city


def _appointment(
    city: City, clock: time, *, day: date = WEDNESDAY, place: str = "home", cancelled=False
) -> int:
    with city.db.unit_of_work() as s:
        row = Appointment(
            person_id=city.people[0].id,
            worker_id=city.worker.id,
            starts_at=at(day, clock),
            place=place,
            created_at=at(date(2026, 3, 1)),
            cancelled_at=at(date(2026, 3, 2)) if cancelled else None,
        )
        s.add(row)
        s.flush()
        return row.id


def _family(city: City, *, consented: bool = True, reminders: bool = True, linked: bool = True) -> None:
    with city.db.unit_of_work() as s:
        s.add(
            FamilyMember(
                person_id=city.people[0].id,
                relation="母亲",
                telegram_user_id=FAMILY_CHAT if linked else None,
                active=linked,
                verified=True,
                consented_at=at(date(2026, 2, 2)) if consented else None,
                appointment_reminders=reminders,
            )
        )


def _morning_text(city: City) -> str:
    [row] = [r for k, r in city.outbox().items() if k.startswith("morning:")]
    return row.payload["text"]


def test_the_morning_list_shows_todays_meetings_with_time_and_place(db: Database) -> None:
    city = _city(db)
    _appointment(city, time(14, 30), place="office")
    _appointment(city, time(9, 0), day=date(2026, 3, 5))  # tomorrow's: not listed
    _appointment(city, time(16, 0), cancelled=True)
    city.run(morning, MORNING)
    text = _morning_text(city)
    person = city.people[0]
    assert "今日约见（1）" in text
    assert f"14:30 {masked(person.name)}（{person.code}）· 社区办公室" in text
    assert "16:00" not in text and person.name not in text


def test_a_meeting_alone_still_makes_a_morning_message(db: Database) -> None:
    city = _city(db)
    city.all_done_before(city.people[0], WEDNESDAY)
    _appointment(city, time(10, 30))
    assert city.run(morning, MORNING) == 1
    assert "今日约见（1）" in _morning_text(city)


def test_a_family_that_asked_is_told_the_time_only_once(db: Database) -> None:
    city = _city(db)
    _appointment(city, time(14, 30), place="office")
    _family(city)
    assert city.run(remind_families, MORNING) == 1
    assert city.run(remind_families, MORNING) == 0  # run twice (or on two processes): sent once
    [row] = [r for r in city.outbox().values() if r.chat_id == FAMILY_CHAT]
    assert row.payload["text"] == "📅 提醒：今天 14:30，网格员将与您的家人见面。"
    assert "办公室" not in row.payload["text"] and city.people[0].code not in row.payload["text"]


def test_no_family_reminder_without_the_choice_consent_or_a_link(db: Database) -> None:
    city = _city(db)
    _appointment(city, time(14, 30))
    _family(city, reminders=False)
    _family(city, consented=False)
    _family(city, linked=False)
    assert city.run(remind_families, MORNING) == 0
    assert [r for r in city.outbox().values() if r.purpose == "appointment"] == []


def test_no_family_reminder_for_a_cancelled_past_or_later_meeting(db: Database) -> None:
    city = _city(db)
    _appointment(city, time(14, 30), cancelled=True)
    _appointment(city, time(8, 0))  # already past at 08:30
    _appointment(city, time(9, 0), day=date(2026, 3, 5))
    _family(city)
    assert city.run(remind_families, MORNING) == 0


def test_a_meeting_moved_later_the_same_day_is_announced_again_with_its_time(db: Database) -> None:
    city = _city(db)
    appointment_id = _appointment(city, time(10, 30))
    _family(city)
    city.run(remind_families, MORNING)
    with db.unit_of_work() as s:
        s.get(Appointment, appointment_id).starts_at = at(WEDNESDAY, time(16, 0))
    assert city.run(remind_families, at(WEDNESDAY, time(9, 0))) == 1
    texts = sorted(r.payload["text"] for r in city.outbox().values() if r.chat_id == FAMILY_CHAT)
    assert ["10:30" in texts[0], "16:00" in texts[1]] == [True, True]


async def test_a_meeting_booked_for_today_after_the_morning_list_is_added_to_it(db: Database) -> None:
    city = _city(db)
    city.run(morning, MORNING)
    chat = CoreChat(build_core(db, FrozenClock(at(WEDNESDAY, time(9, 0)))), city.worker.telegram_user_id)
    await chat.press(f"as:{city.people[0].id}:202603041430")
    edits = [r for k, r in city.outbox().items() if k.startswith("morning:") and ":r" in k]
    assert len(edits) == 1 and "今日约见（1）" in edits[0].payload["text"]
    assert "14:30" in edits[0].payload["text"]
