"""An alert never falls into the void: each role it names goes to the nearest linked person of it,
the sender is told who was and who was not, and what nobody could take is recorded."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from bot.db import Database
from handlers.reminders.jobs import escalate
from models.alerts import AlertLog
from models.areas import Area
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.people import CaseRole, Role, Worker
from models.services.directory.entries import assign
from tests.factories import make_person, make_tree, make_worker
from tests.integration.family_city import CADRE, FAMILY, WORKER, build_city, family_code, worker_code
from tests.integration.family_city import outbox as family_outbox
from tests.integration.reminders_city import at, linked_worker
from tests.integration.reminders_city import build_city as build_reminders_city
from tests.integration.test_reports_support import outbox, tap
from tests.support.chat import CoreChat, build_core

# T-tree: grid worker 甲 (601) cares for P-ONE with cadre 张专干 (603, linked) and police 王民警
# (unlinked); the community's supervisor 赵督导 is unlinked, the city's 李督导 (605) is linked.
USERS = {"W-1": 601, "W-C": 603, "W-TOP": 605, "W-PT": 606}


def town(db: Database, keys: KeyRing, now: datetime) -> int:
    with db.unit_of_work() as s:
        tree = make_tree(s)
        made = {
            "W-1": (make_worker(s, tree["G1"], code="W-1"), "甲网格员"),
            "W-C": (make_worker(s, tree["COM"], code="W-C", role=Role.cadre), "张专干"),
            "W-P": (make_worker(s, tree["COM"], code="W-P", role=Role.police), "王民警"),
            "W-CS": (make_worker(s, tree["COM"], code="W-CS", role=Role.supervisor), "赵督导"),
            "W-TOP": (make_worker(s, tree["CITY"], code="W-TOP", role=Role.supervisor), "李督导"),
        }
        for code, (worker, name) in made.items():
            worker.name, worker.telegram_user_id = name, USERS.get(code)
        person = make_person(s, tree["G1"], keys=keys, now=now, worker=made["W-1"][0], code="P-ONE")
        assign(s, person, made["W-C"][0], CaseRole.cadre)
        assign(s, person, made["W-P"][0], CaseRole.police)
        s.flush()
        return person.id


def link_town_police(db: Database) -> None:
    """A police officer at the town links an account: the nearest reachable one above the community."""
    with db.unit_of_work() as s:
        tree = make_tree(s)
        officer = make_worker(s, tree["TOWN"], code="W-PT", role=Role.police)
        officer.name, officer.telegram_user_id = "孙民警", USERS["W-PT"]


async def positive_test_up_to_confirm(db: Database, now: datetime, person_id: int) -> CoreChat:
    chat = CoreChat(build_core(db, FrozenClock(now)), USERS["W-1"])
    await chat.press(f"r:drug_test:{person_id}")
    for label in ("尿液", "快速", "阳性", "冰毒", "跳过", "今天"):
        await tap(chat, label)
    while "跳过" in str(chat.last):  # the kit photo
        await tap(chat, "跳过")
    return chat


def alert_log(db: Database) -> list[AlertLog]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(AlertLog).order_by(AlertLog.id)))


async def test_positive_test_reaches_the_city_supervisor_when_the_community_s_is_unlinked(db, keys, now):
    person_id = town(db, keys, now)
    chat = await positive_test_up_to_confirm(db, now, person_id)
    await tap(chat, "确认")
    assert sorted(r.chat_id for r in outbox(db)) == [USERS["W-C"], USERS["W-TOP"]]
    assert all(r.purpose == "alert" and r.urgent for r in outbox(db))


async def test_an_alert_nobody_of_a_role_can_take_is_recorded_and_the_worker_told_who_was_not(db, keys, now):
    person_id = town(db, keys, now)
    chat = await positive_test_up_to_confirm(db, now, person_id)
    await tap(chat, "确认")
    saved = chat.texts()[0]
    assert "✅ 已保存" in saved
    assert "🚨 已立即通知：张**（社区专干）、李**（督导）。" in saved
    assert "⚠️ 未能通知民警：没有已关联机器人的人员" in saved
    [entry] = alert_log(db)
    assert (entry.kind, entry.person_id, entry.unrouted) == ("drug_test", person_id, "police")
    assert entry.notified == 2
    assert entry.routed_at is None


async def test_the_confirm_screen_names_exactly_whom_saving_tells(db, keys, now):
    person_id = town(db, keys, now)
    chat = await positive_test_up_to_confirm(db, now, person_id)
    confirm = chat.texts()[0]
    assert "⚠️ 保存后将立即通知：张**（社区专干）、李**（督导）。" in confirm
    assert "⚠️ 无法通知民警" in confirm
    assert "赵" not in confirm and "王" not in confirm  # unlinked: never promised
    await tap(chat, "确认")
    assert sorted(r.chat_id for r in outbox(db)) == [USERS["W-C"], USERS["W-TOP"]]


async def test_a_role_missing_nearby_goes_to_the_nearest_linked_one_up_the_tree(db, keys, now):
    person_id = town(db, keys, now)
    link_town_police(db)
    chat = await positive_test_up_to_confirm(db, now, person_id)
    assert "将立即通知：张**（社区专干）、孙**（民警）、李**（督导）。" in chat.texts()[0]
    assert "无法通知" not in chat.texts()[0]
    await tap(chat, "确认")
    assert sorted(r.chat_id for r in outbox(db)) == [USERS["W-C"], USERS["W-TOP"], USERS["W-PT"]]
    [entry] = alert_log(db)
    assert entry.unrouted == "" and entry.routed_at == now


async def test_a_family_s_urgent_alert_names_whom_it_reaches_and_records_the_police_it_cannot(db, keys, now):
    build_city(db, keys, now)
    with db.unit_of_work() as s:
        for code, name in (("W-1", "周网格员"), ("W-CADRE", "吴专干")):
            s.execute(update(Worker).where(Worker.code == code).values(name=name))
    core = build_core(db, FrozenClock(now))
    for code, user in (("W-1", WORKER), ("W-CADRE", CADRE)):  # the police officer never links
        await CoreChat(core, user).say(f"/start {worker_code(db, code, now)}")
    family = CoreChat(core, FAMILY)
    await family.say(f"/start {family_code(db, 'P-MINE', now)}")
    await family.press("fc:yes")  # the privacy notice, agreed
    await family.say("/urgent")
    await family.press(family.button("跳过"))
    confirm = family.texts()[-1]
    assert "将立即通知：周***（网格员）、吴**（社区专干）。" in confirm
    assert "暂时无法通过机器人联系民警" in confirm
    await family.press(family.button("确认"))
    assert sorted(a.chat_id for a in family_outbox(db, "urgent_alert")) == [WORKER, CADRE]
    sent = family.texts()[-1]
    assert "已通知 2 位工作人员：周***（网格员）、吴**（社区专干）" in sent
    assert "暂时无法通过机器人联系民警" in sent
    [entry] = alert_log(db)
    assert (entry.kind, entry.unrouted, entry.notified) == ("urgent", "police", 2)


def test_overdue_work_reaches_the_nearest_linked_cadre_when_the_team_s_cadre_is_unlinked(db):
    city = build_reminders_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    city.all_done_before(person, date(2026, 3, 2))  # only the meeting of the week of 2 March is open
    with db.unit_of_work() as s:
        s.execute(update(Worker).where(Worker.id == city.cadre.id).values(telegram_user_id=None))
        town_area = s.scalar(select(Area).where(Area.code == "T-TOWN"))
        s.expunge(town_area)
    town_cadre = linked_worker(db, town_area, Role.cadre)
    city.run(escalate, at(date(2026, 3, 10)))
    assert city.run(escalate, at(date(2026, 3, 12))) == 1
    [row] = [r for k, r in city.outbox().items() if k.startswith("overdue:cadre:")]
    assert row.chat_id == town_cadre.telegram_user_id and person.code in row.payload["text"]
