"""A worker leaves: `gridcare worker deactivate` unlinks them, hands the caseload over, tells the families."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from models.areas import Area
from models.audit import Actor, AuditEntry
from models.clock import FrozenClock
from models.outbox import OutboxMessage, OutboxStatus
from models.outgoing import Send
from models.people import CareAssignment, CaseRole, FamilyMember, Person, Role, Worker
from models.services.directory.entries import assign
from models.services.directory.invites import invite_family, invite_worker
from models.services.outbox.queue import enqueue
from tests.factories import TEST_KEYS, make_person, make_tree, make_worker
from tests.support.chat import CoreChat, build_core

OLD_USER, NEW_USER, MOTHER_USER, SPOUSE_USER = 601, 602, 701, 702
runner = CliRunner()


@dataclass
class Office:
    old: CoreChat
    new: CoreChat
    successor_name: str
    person_names: list[str]


@pytest.fixture
def env(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db.url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)


def gridcare(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())  # rich wraps long lines at the terminal width


async def _office(db, keys, now) -> Office:
    """W-OLD is responsible for P-1 and P-2 and a member of P-3's team, which W-NEW leads and is a
    member of too. P-1's mother (English) and P-2's spouse are linked; P-2's father never joined.
    W-OLD is half-way through a note, and a reminder to them waits in the outbox."""
    with db.unit_of_work() as s:
        tree = make_tree(s)
        old = make_worker(s, tree["G1"], code="W-OLD")
        new = make_worker(s, tree["G1"], code="W-NEW")
        make_worker(s, tree["G1"], role=Role.cadre, code="W-CADRE")
        p1 = make_person(s, tree["G1"], keys=keys, now=now, worker=old, code="P-1")
        p2 = make_person(s, tree["G1"], keys=keys, now=now, worker=old, code="P-2")
        p3 = make_person(s, tree["G1"], keys=keys, now=now, worker=new, code="P-3")
        assign(s, p3, old, CaseRole.member)
        assign(s, p3, new, CaseRole.member)
        names = [p1.name, p2.name, p3.name]
        successor_name = new.name
    clock = FrozenClock(now)
    chats = {}
    for user, invite in (
        (OLD_USER, db.call(invite_worker, "W-OLD", actor=Actor.cli(), now=now)),
        (NEW_USER, db.call(invite_worker, "W-NEW", actor=Actor.cli(), now=now)),
        (MOTHER_USER, db.call(invite_family, "P-1", "母亲", actor=Actor.cli(), now=now)),
        (SPOUSE_USER, db.call(invite_family, "P-2", "配偶", actor=Actor.cli(), now=now)),
    ):
        chats[user] = CoreChat(build_core(db, clock), user)
        await chats[user].say(f"/start {invite.code}")
    db.call(invite_family, "P-2", "父亲", actor=Actor.cli(), now=now)
    await chats[MOTHER_USER].press("lang:en")
    await chats[OLD_USER].say("/note")
    await chats[OLD_USER].press(chats[OLD_USER].button("P-1"))
    with db.unit_of_work() as s:
        enqueue(
            s,
            message=Send(OLD_USER, "P-1 visit due"),
            purpose="reminder",
            dedupe_key="reminder:test",
            now=now,
        )
    return Office(chats[OLD_USER], chats[NEW_USER], successor_name, names)


def _queued(db, chat_id: int, purpose: str) -> list[dict]:
    with db.unit_of_work() as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.purpose == purpose)
            .order_by(OutboxMessage.id)
        ).all()
        return [row.payload for row in rows]


def _notices(db, chat_id: int) -> list[str]:
    return [payload["text"] for payload in _queued(db, chat_id, "notice")]


def _cards(db, chat_id: int) -> list[str]:
    """The "your worker changed" texts queued to a family account."""
    return [p["text"] for p in _queued(db, chat_id, "family_reassigned") if p["kind"] == "send"]


async def test_the_leaving_workers_account_gets_the_unlinked_answer_on_its_next_message(db, keys, now, env):
    office = await _office(db, keys, now)
    gridcare("worker", "deactivate", "W-OLD", "--successor", "W-NEW")
    for text in ("free text into the open form", "/my"):
        await office.old.say(text)
        answer = " ".join(office.old.texts())
        assert "邀请" in answer and "P-1" not in answer
    with db.unit_of_work() as s:
        old = s.scalar(select(Worker).where(Worker.code == "W-OLD"))
        assert (old.active, old.telegram_user_id) == (False, None)


async def test_the_successor_sees_the_whole_caseload(db, keys, now, env):
    office = await _office(db, keys, now)
    out = gridcare("worker", "deactivate", "W-OLD", "--successor", "W-NEW")
    assert "3 assignment(s) of 3 person(s) moved to W-NEW" in out
    await office.new.say("/my")
    assert all(code in office.new.texts()[0] for code in ("P-1", "P-2", "P-3"))
    with db.unit_of_work() as s:
        team = s.execute(
            select(Person.code, Worker.code, CareAssignment.case_role)
            .join(Person, Person.id == CareAssignment.person_id)
            .join(Worker, Worker.id == CareAssignment.worker_id)
        ).all()
    assert not [row for row in team if row[1] == "W-OLD"]
    assert {("P-1", "W-NEW", CaseRole.responsible), ("P-3", "W-NEW", CaseRole.member)} <= set(team)
    assert len([row for row in team if row[0] == "P-3"]) == 2  # no duplicate membership


async def test_linked_families_get_the_new_workers_card_in_their_language(db, keys, now, env):
    office = await _office(db, keys, now)
    out = gridcare("worker", "deactivate", "W-OLD", "--successor", "W-NEW")
    assert "2 family member(s) told the new contact" in out
    (mother,) = _cards(db, MOTHER_USER)
    (spouse,) = _cards(db, SPOUSE_USER)
    assert "new grid worker" in mother and office.successor_name in mother
    assert "已更换" in spouse and office.successor_name in spouse
    assert not any(name in mother + spouse for name in office.person_names)  # lock screens show no one
    with db.unit_of_work() as s:
        phone = s.scalar(select(Worker.work_phone).where(Worker.code == "W-NEW"))
    for user in (MOTHER_USER, SPOUSE_USER):
        contact = [p for p in _queued(db, user, "family_reassigned") if p["kind"] == "contact"]
        assert contact == [
            {"kind": "contact", "phone": phone, "first_name": office.successor_name, "last_name": None}
        ]
    (received,) = _notices(db, NEW_USER)
    assert "3" in received
    with db.unit_of_work() as s:
        told = s.scalars(
            select(OutboxMessage.chat_id).where(OutboxMessage.purpose.in_(("notice", "family_reassigned")))
        ).all()
    assert sorted(set(told)) == [NEW_USER, MOTHER_USER, SPOUSE_USER]  # the father never linked


async def test_telling_the_families_is_audited_per_family_member(db, keys, now, env):
    await _office(db, keys, now)
    gridcare("worker", "deactivate", "W-OLD", "--successor", "W-NEW")
    with db.unit_of_work() as s:
        new_id = s.scalar(select(Worker.id).where(Worker.code == "W-NEW"))
        entries = s.execute(
            select(AuditEntry.record_type, AuditEntry.record_id, Person.code, AuditEntry.detail)
            .join(Person, Person.id == AuditEntry.person_id)
            .where(AuditEntry.action == "notify")
        ).all()
        members = dict(
            s.execute(
                select(FamilyMember.telegram_user_id, FamilyMember.id).where(
                    FamilyMember.telegram_user_id.is_not(None)
                )
            ).all()
        )
    assert sorted(entries) == [
        ("contact_card", new_id, "P-1", f"family_member={members[MOTHER_USER]}"),
        ("contact_card", new_id, "P-2", f"family_member={members[SPOUSE_USER]}"),
    ]


async def test_a_person_without_a_linked_family_queues_nothing_for_families(db, keys, now, env):
    await _office(db, keys, now)
    with db.unit_of_work() as s:
        area = s.get(Area, s.scalar(select(Worker.area_id).where(Worker.code == "W-NEW")))
        solo = make_worker(s, area, code="W-SOLO")
        make_person(s, area, keys=keys, now=now, worker=solo, code="P-SOLO")
    out = gridcare("worker", "deactivate", "W-SOLO", "--successor", "W-NEW")
    assert "1 assignment(s) of 1 person(s)" in out and "0 family member(s) told" in out
    with db.unit_of_work() as s:
        assert (
            s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "family_reassigned")).all() == []
        )
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "notify")).all() == []


async def test_the_handover_is_audited(db, keys, now, env):
    await _office(db, keys, now)
    gridcare("worker", "deactivate", "W-OLD", "--successor", "W-NEW")
    with db.unit_of_work() as s:
        old_id = s.scalar(select(Worker.id).where(Worker.code == "W-OLD"))
        entries = s.execute(
            select(AuditEntry.action, AuditEntry.record_type, AuditEntry.record_id, Person.code)
            .outerjoin(Person, Person.id == AuditEntry.person_id)
            .where(
                AuditEntry.actor_kind == "cli", AuditEntry.action.in_(("deactivate", "unlink", "reassign"))
            )
        ).all()
    assert ("deactivate", "worker", old_id, None) in entries
    assert ("unlink", "worker", old_id, None) in entries
    assert sorted(code for action, _, _, code in entries if action == "reassign") == ["P-1", "P-2", "P-3"]


async def test_messages_still_queued_to_the_leaving_worker_are_never_sent(db, keys, now, env):
    await _office(db, keys, now)
    gridcare("worker", "deactivate", "W-OLD", "--successor", "W-NEW")
    with db.unit_of_work() as s:
        reminder = s.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "reminder:test"))
        assert reminder.status is OutboxStatus.dead and reminder.last_error == "recipient deactivated"


async def test_a_successor_with_another_role_is_refused_unless_asked_for(db, keys, now, env):
    await _office(db, keys, now)
    assert "--any-role" in gridcare("worker", "deactivate", "W-OLD", "--successor", "W-CADRE", code=1)
    with db.unit_of_work() as s:
        assert s.scalar(select(Worker.active).where(Worker.code == "W-OLD")) is True
    gridcare("worker", "deactivate", "W-OLD", "--successor", "W-CADRE", "--any-role")
    assert "not active" in gridcare("worker", "deactivate", "W-NEW", "--successor", "W-OLD", code=1)


async def test_deactivating_again_moves_nothing_and_tells_nobody_twice(db, keys, now, env):
    await _office(db, keys, now)
    gridcare("worker", "deactivate", "W-OLD", "--successor", "W-NEW")
    again = gridcare("worker", "deactivate", "W-OLD", "--successor", "W-NEW")
    assert "0 assignment(s)" in again and "0 family member(s) told" in again
    assert "successor not told" in again
    assert len(_cards(db, MOTHER_USER)) == 1 and len(_notices(db, NEW_USER)) == 1
