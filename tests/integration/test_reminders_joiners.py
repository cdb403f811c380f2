"""A day's notices reach whoever joins that day: a worker linked, or given people, after the day's
jobs ran still gets each of that day's notices once, and nobody else gets one twice.

The scheduler runs the real jobs of bot/jobs.py on a FrozenClock that the tests move.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, time, timedelta

import pytest

from bot.db import Database
from bot.jobs import FEATURES, Job
from bot.scheduler import Scheduler
from models.areas import Area
from models.audit import Actor
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.people import Person, Role, Worker
from models.services.directory.delegation import delegate
from models.services.directory.entries import PersonData, set_responsible, upsert_person
from models.services.directory.invites import invite_worker, redeem
from models.services.directory.workforce import deactivate_worker
from models.services.identity import resolve
from models.services.reminders.joiners import pending_joiners
from tests.factories import TEST_KEYS, make_worker
from tests.integration.reminders_city import City, at, build_city, linked_worker

JUNE_26 = date(2026, 6, 26)  # 国际禁毒日, a Friday
MARCH_10 = date(2026, 3, 10)  # the meeting of the week of 2 March is a day overdue
_next_user = iter(range(90_000, 91_000))

MakeScheduler = Callable[[City, datetime], tuple[Scheduler, FrozenClock]]


@pytest.fixture
async def scheduler() -> AsyncIterator[MakeScheduler]:
    """The day's jobs and the joiners' job on a frozen clock; stopped after the test (on
    PostgreSQL a scheduler holds the leader lock)."""
    built: list[Scheduler] = []
    names = {"morning", "campaigns", "escalate", "case_endings", "daily_digests", "joiners"}

    def build(city: City, start: datetime) -> tuple[Scheduler, FrozenClock]:
        clock = FrozenClock(start)
        jobs: list[Job] = [j for j in FEATURES if j.name in names]
        built.append(Scheduler(city.db, clock=clock, policy=city.policy, renderer=city.renderer, jobs=jobs))
        return built[-1], clock

    yield build
    for one in built:
        await one.stop()


def unlinked_worker(db: Database, area: Area, role: Role = Role.grid_worker) -> Worker:
    with db.unit_of_work() as session:
        worker = make_worker(session, session.get(Area, area.id), role=role)
        session.flush()
        session.expunge(worker)
    return worker


def link(db: Database, worker: Worker, now: datetime) -> int:
    """The worker redeems an invite (`/start CODE`) at `now`; their chat id."""
    user = next(_next_user)
    with db.unit_of_work() as session:
        made = invite_worker(session, worker.code, actor=Actor.cli(), now=now - timedelta(hours=1))
        redeem(session, made.code, user, now=now)
    return user


def keys_to(city: City, prefix: str, chat_id: int) -> list[str]:
    return [k for k, r in city.outbox().items() if k.startswith(prefix) and r.chat_id == chat_id]


def overdue_city(db: Database) -> City:
    """One person, the worker's, whose only open work is the meeting of the week of 2 March."""
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    city.all_done_before(person, date(2026, 3, 2))
    return city


# -- campaign days -------------------------------------------------------------------------------


async def test_a_worker_linked_after_the_campaign_job_gets_the_days_notice_once(
    db: Database, scheduler: MakeScheduler
) -> None:
    city = build_city(db)
    late = unlinked_worker(db, city.grid)
    ticks, clock = scheduler(city, at(JUNE_26, time(9, 0)))
    assert "campaigns" in {r.job for r in await ticks.tick()}
    assert len(keys_to(city, "campaign:june26:", city.worker.telegram_user_id)) == 1

    chat = link(db, late, at(JUNE_26, time(10, 9)))
    clock.set(at(JUNE_26, time(10, 9, 30)))
    await ticks.tick()
    assert keys_to(city, "campaign:june26:", chat) == [f"campaign:june26:2026-06-26:0:{late.id}"]
    clock.set(at(JUNE_26, time(10, 20)))
    await ticks.tick()
    assert len(keys_to(city, "campaign:june26:", chat)) == 1
    assert len(keys_to(city, "campaign:june26:", city.worker.telegram_user_id)) == 1


async def test_a_worker_linked_before_the_campaign_job_gets_the_notice_from_it_once(
    db: Database, scheduler: MakeScheduler
) -> None:
    city = build_city(db)
    early = unlinked_worker(db, city.grid)
    ticks, clock = scheduler(city, at(JUNE_26, time(7, 0)))
    chat = link(db, early, at(JUNE_26, time(7, 0)))
    await ticks.tick()  # 07:00: nothing is owed yet, the campaign job will include them
    assert keys_to(city, "campaign:", chat) == []
    clock.set(at(JUNE_26, time(8, 30)))
    await ticks.tick()
    clock.set(at(JUNE_26, time(8, 31)))
    await ticks.tick()
    assert len(keys_to(city, "campaign:june26:", chat)) == 1


async def test_a_run_with_nobody_new_queues_nothing_and_leaves_no_one_pending(
    db: Database, scheduler: MakeScheduler
) -> None:
    city = build_city(db)
    late = unlinked_worker(db, city.grid)
    ticks, clock = scheduler(city, at(JUNE_26, time(9, 0)))
    await ticks.tick()
    link(db, late, at(JUNE_26, time(10, 9)))
    assert [j.worker_id for j in db.call(pending_joiners)] == [late.id]
    clock.set(at(JUNE_26, time(10, 10)))
    assert {r.job: r.count for r in await ticks.tick()}["joiners"] == 1
    assert db.call(pending_joiners) == []
    clock.set(at(JUNE_26, time(10, 11)))
    assert {r.job: r.count for r in await ticks.tick()}["joiners"] == 0


# -- the overdue ladder --------------------------------------------------------------------------


async def test_a_worker_linked_after_the_overdue_job_is_told_of_their_overdue_work_once(
    db: Database, scheduler: MakeScheduler
) -> None:
    city = overdue_city(db)
    late = unlinked_worker(db, city.grid)
    theirs = city.person(created=at(date(2026, 2, 1)))
    city.all_done_before(theirs, date(2026, 3, 2))
    with db.unit_of_work() as session:
        set_responsible(session, session.get(Person, theirs.id), session.get(Worker, late.id))
    ticks, clock = scheduler(city, at(MARCH_10, time(9, 0)))
    assert "escalate" in {r.job for r in await ticks.tick()}
    assert len(keys_to(city, "overdue:worker:", city.worker.telegram_user_id)) == 1

    chat = link(db, late, at(MARCH_10, time(10, 9)))
    clock.set(at(MARCH_10, time(10, 9, 30)))
    await ticks.tick()
    [key] = keys_to(city, "overdue:worker:", chat)
    text = city.outbox()[key].payload["text"]
    assert theirs.code in text and city.people[0].code not in text
    clock.set(at(MARCH_10, time(11, 0)))
    await ticks.tick()
    assert len(keys_to(city, "overdue:worker:", chat)) == 1
    assert len(keys_to(city, "overdue:worker:", city.worker.telegram_user_id)) == 1


async def test_a_successor_is_told_of_the_overdue_work_they_take_over_once(
    db: Database, scheduler: MakeScheduler
) -> None:
    city = overdue_city(db)
    successor = linked_worker(db, city.grid)
    ticks, clock = scheduler(city, at(MARCH_10, time(9, 0)))
    await ticks.tick()
    assert keys_to(city, "overdue:", successor.telegram_user_id) == []

    with db.unit_of_work() as session:
        deactivate_worker(
            session,
            city.worker.code,
            successor.code,
            actor=Actor.cli(),
            now=at(MARCH_10, time(14, 0)),
            today=MARCH_10,
        )
    clock.set(at(MARCH_10, time(14, 0, 30)))
    await ticks.tick()
    [key] = keys_to(city, "overdue:worker:", successor.telegram_user_id)
    assert city.people[0].code in city.outbox()[key].payload["text"]
    clock.set(at(MARCH_10, time(15, 0)))
    await ticks.tick()
    assert len(keys_to(city, "overdue:", successor.telegram_user_id)) == 1
    assert len(keys_to(city, "overdue:", city.cadre.telegram_user_id)) == 0  # day 1: not the cadre's yet


async def test_a_colleague_given_a_caseload_from_today_is_told_of_its_overdue_work_once(
    db: Database, scheduler: MakeScheduler
) -> None:
    city = overdue_city(db)
    colleague = linked_worker(db, city.grid)
    ticks, clock = scheduler(city, at(MARCH_10, time(9, 0)))
    await ticks.tick()
    with db.unit_of_work() as session:
        who = resolve(session, city.worker.telegram_user_id)
        now = at(MARCH_10, time(11, 0))
        delegate(session, who, colleague.id, MARCH_10, MARCH_10 + timedelta(days=2), now=now, today=MARCH_10)
    clock.set(at(MARCH_10, time(11, 0, 30)))
    await ticks.tick()
    clock.set(at(MARCH_10, time(11, 1, 30)))
    await ticks.tick()
    assert len(keys_to(city, "overdue:worker:", colleague.telegram_user_id)) == 1
    assert len(keys_to(city, "overdue:worker:", city.worker.telegram_user_id)) == 1


async def test_an_import_that_moves_a_person_tells_the_new_worker_of_their_overdue_work_once(
    db: Database, scheduler: MakeScheduler
) -> None:
    city = overdue_city(db)
    other = linked_worker(db, city.grid)
    ticks, clock = scheduler(city, at(MARCH_10, time(9, 0)))
    await ticks.tick()
    person = city.people[0]
    with db.unit_of_work() as session:
        moved = PersonData(
            code=person.code,
            name=person.name,
            area_code=city.grid.code,
            status=person.status,
            colour=person.colour,
            programme_start=person.programme_start,
            programme_end=person.programme_end,
            responsible_worker_code=other.code,
        )
        upsert_person(
            session, moved, keys=KeyRing.parse(TEST_KEYS), actor=Actor.cli(), now=at(MARCH_10, time(15))
        )
    clock.set(at(MARCH_10, time(15, 0, 30)))
    await ticks.tick()
    [key] = keys_to(city, "overdue:worker:", other.telegram_user_id)
    assert person.code in city.outbox()[key].payload["text"]


async def test_a_successor_is_given_the_case_ending_task_of_a_person_they_take_over_once(
    db: Database, scheduler: MakeScheduler
) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 1, 5)), programme_end=date(2026, 4, 3))
    successor = linked_worker(db, city.grid)
    ticks, clock = scheduler(city, at(date(2026, 3, 3), time(9, 0)))
    await ticks.tick()
    assert keys_to(city, "case_end:", city.worker.telegram_user_id) == [
        f"case_end:{person.id}:2026-04-03:{city.worker.id}"
    ]
    with db.unit_of_work() as session:
        deactivate_worker(
            session,
            city.worker.code,
            successor.code,
            actor=Actor.cli(),
            now=at(date(2026, 3, 3), time(14, 0)),
            today=date(2026, 3, 3),
        )
    clock.set(at(date(2026, 3, 3), time(14, 1)))
    await ticks.tick()
    clock.set(at(date(2026, 3, 4), time(9, 0)))  # the next day's run tells nobody again
    await ticks.tick()
    assert keys_to(city, "case_end:", successor.telegram_user_id) == [
        f"case_end:{person.id}:2026-04-03:{successor.id}"
    ]


# -- the morning list ----------------------------------------------------------------------------


async def test_a_successor_whose_morning_list_was_empty_gets_one_with_the_people_taken_over(
    db: Database, scheduler: MakeScheduler
) -> None:
    city = overdue_city(db)
    successor = linked_worker(db, city.grid)
    ticks, clock = scheduler(city, at(MARCH_10, time(8, 30)))
    await ticks.tick()  # the successor's morning is dealt with: nothing to list, no message
    assert keys_to(city, "morning:", successor.telegram_user_id) == []
    with db.unit_of_work() as session:
        deactivate_worker(
            session,
            city.worker.code,
            successor.code,
            actor=Actor.cli(),
            now=at(MARCH_10, time(14, 0)),
            today=MARCH_10,
        )
    for minute in (1, 2, 11):
        clock.set(at(MARCH_10, time(14, minute)))
        await ticks.tick()
    [key] = keys_to(city, "morning:", successor.telegram_user_id)
    assert key == f"morning:{successor.id}:2026-03-10"
    assert city.people[0].code in city.outbox()[key].payload["text"]


# -- the digest ----------------------------------------------------------------------------------


async def test_a_supervisor_linked_after_the_digest_gets_the_days_digest_once(
    db: Database, scheduler: MakeScheduler
) -> None:
    city = overdue_city(db)
    late = unlinked_worker(db, city.grid, Role.supervisor)
    ticks, clock = scheduler(city, at(MARCH_10, time(18, 0)))
    await ticks.tick()
    chat = link(db, late, at(MARCH_10, time(19, 0)))
    for minute in (1, 2):
        clock.set(at(MARCH_10, time(19, minute)))
        await ticks.tick()
    assert keys_to(city, "digest:", chat) == [
        f"digest:{late.id}:day:2026-03-10:chart",
        f"digest:{late.id}:day:2026-03-10",
    ]
