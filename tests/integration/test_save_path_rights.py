"""The rights and names a save and /my rest on, at their edges: the statements behind them are built
once with bound parameters, so these pin what the bound values must still mean."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from models.access import Action
from models.areas import AreaLevel
from models.audit import AuditEntry
from models.casework import Delegation
from models.people import CaseRole, Role, Worker
from models.policy import Policy
from models.records import RecordKind, VisitKind
from models.schedule import State
from models.services.caseload import caseload_page
from models.services.directory.entries import AreaData, assign, upsert_area
from models.services.identity import resolve
from models.services.obligations.due import person_rows
from models.services.reporting.records import NewRecord, save_record
from models.services.rights import may
from tests.factories import make_person, make_tree, make_worker

TODAY = date(2026, 3, 4)  # the local day of the `now` fixture


def _linked(worker: Worker, user: int) -> Worker:
    worker.telegram_user_id = user
    return worker


def _delegation(giver: Worker, taker: Worker, starts: date, ends: date, *, now: datetime) -> Delegation:
    return Delegation(
        from_worker_id=giver.id,
        to_worker_id=taker.id,
        starts_on=starts,
        ends_on=ends,
        cancelled=False,
        created_at=now,
    )


def test_a_delegation_covers_its_first_and_last_day_and_nothing_once_cancelled(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        away, cover = make_worker(s, tree["G1"]), _linked(make_worker(s, tree["G1"]), 601)
        person = make_person(s, tree["G1"], keys=keys, now=now, worker=away)
        lent = _delegation(away, cover, TODAY + timedelta(days=1), TODAY + timedelta(days=3), now=now)
        s.add(lent)
        s.flush()
        who = resolve(s, 601)
        days = [TODAY + timedelta(days=n) for n in range(5)]
        allowed = [may(s, who, Action.write_record, person.id, now=now, today=day) for day in days]
        assert allowed == [False, True, True, True, False]
        lent.cancelled = True
        s.flush()
        assert not may(s, who, Action.write_record, person.id, now=now, today=days[2])
        refused = s.scalars(select(AuditEntry.record_id).where(AuditEntry.action == "refused")).all()
        assert refused == [person.id] * 3


def test_a_record_filed_while_covering_two_carers_names_the_responsible_one(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        cadre = make_worker(s, tree["COM"], role=Role.cadre)  # the lower id: chosen if roles were ignored
        responsible = make_worker(s, tree["G1"])
        cover = _linked(make_worker(s, tree["G1"]), 602)
        person = make_person(s, tree["G1"], keys=keys, now=now)
        assign(s, person, cadre, CaseRole.cadre)  # first in the table too
        s.flush()
        assign(s, person, responsible, CaseRole.responsible)
        for giver in (cadre, responsible):
            s.add(_delegation(giver, cover, TODAY, TODAY, now=now))
        s.flush()
        new = NewRecord(person_id=person.id, kind=RecordKind.note, occurred_at=now, notes="ok")
        filed = save_record(s, resolve(s, 602), new, now=now, idempotency_key="k1", today=TODAY)
        assert filed.on_behalf_of == responsible.id
        assign(s, person, cover, CaseRole.member)  # now on the care team themself
        s.flush()
        filed = save_record(s, resolve(s, 602), new, now=now, idempotency_key="k2", today=TODAY)
        assert filed.created and filed.on_behalf_of is None


def test_a_supervisor_does_not_see_a_sibling_area_whose_code_extends_their_own(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        sibling, _ = upsert_area(s, AreaData("T-CTY2", "测试二县", AreaLevel.county, "T-CITY"))
        _linked(make_worker(s, tree["CTY"], role=Role.supervisor), 603)
        inside = make_person(s, tree["G1"], keys=keys, now=now)
        outside = make_person(s, sibling, keys=keys, now=now)
        who = resolve(s, 603)
        assert may(s, who, Action.view_card, inside.id, now=now, today=TODAY)
        assert not may(s, who, Action.view_card, outside.id, now=now, today=TODAY)


def test_my_list_names_the_colleague_only_for_people_i_have_through_them(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        me, away = _linked(make_worker(s, tree["G1"]), 604), make_worker(s, tree["G1"])
        shared = make_person(s, tree["G1"], keys=keys, now=now, worker=me, code="P-SHARED")
        assign(s, shared, away, CaseRole.member)
        make_person(s, tree["G1"], keys=keys, now=now, worker=away, code="P-LENT")
        make_person(s, tree["G1"], keys=keys, now=now, worker=me, code="P-MINE")
        s.add(_delegation(away, me, TODAY, TODAY, now=now))
        s.flush()
        who, policy = resolve(s, 604), Policy()
        page = caseload_page(s, who, now=now, today=TODAY, policy=policy)
        marks = {line.code: line.delegated_by for line in page.lines}
        assert marks == {"P-SHARED": None, "P-LENT": away.name, "P-MINE": None}
        after = caseload_page(s, who, now=now, today=TODAY + timedelta(days=1), policy=policy)
        assert sorted(line.code for line in after.lines) == ["P-MINE", "P-SHARED"]


def test_my_list_counts_each_persons_open_items_once_whoever_brings_them(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        me, away = _linked(make_worker(s, tree["G1"]), 605), make_worker(s, tree["G1"])
        shared = make_person(s, tree["G1"], keys=keys, now=now, worker=me, code="P-SHARED")
        assign(s, shared, away, CaseRole.member)  # on both care teams, and delegated to me too
        make_person(s, tree["G1"], keys=keys, now=now, worker=away, code="P-LENT")
        mine = make_person(s, tree["G1"], keys=keys, now=now, worker=me, code="P-MINE")
        later = TODAY + timedelta(days=20)
        s.add(_delegation(away, me, TODAY, later, now=now))
        s.flush()
        who, policy = resolve(s, 605), Policy()
        met = NewRecord(mine.id, RecordKind.visit, now, subkind=VisitKind.home, notes="ok")
        save_record(s, who, met, now=now, idempotency_key="k-met", today=TODAY)
        seen = {}
        for day in (TODAY, later, TODAY):  # the last one worked out in memory (kept for `later`)
            page = caseload_page(s, who, now=now, today=day, policy=policy)
            shown = {line.code: (line.overdue, line.due) for line in page.lines}
            expected = {}
            for line in page.lines:
                states = [row.state for row in person_rows(s, line.id, day, policy)]
                expected[line.code] = (states.count(State.overdue), states.count(State.due))
            assert shown == expected and set(shown) == {"P-SHARED", "P-LENT", "P-MINE"}
            assert page.overdue == sum(1 for overdue, _ in shown.values() if overdue)
            assert seen.setdefault(day, shown) == shown
        assert seen[TODAY]["P-MINE"][1] < seen[TODAY]["P-LENT"][1]  # the visit done is not counted
        assert any(overdue for overdue, _ in seen[later].values())  # twenty days on, something is late
