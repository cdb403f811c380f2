"""Issue 17.11: an account already linked that opens an invite link is asked before it changes.

The attack: a grid worker opened a family invite link (sent by mistake, or by someone who wanted
them out) and was a 家属 from that moment, without a word. Now the bot asks, with a confirm/cancel
pair checked server-side; nothing changes on cancel or silence; the switch is audited.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models.audit import Actor, AuditEntry
from models.clock import FrozenClock
from models.people import FamilyMember, Invite, Worker
from models.services.directory.invites import invite_family, invite_worker
from models.services.identity import resolve
from tests.factories import make_person, make_tree, make_worker
from tests.security.world import snapshot
from tests.support.chat import CoreChat, build_core

WORKER, OTHER, FAMILY = 7001, 7002, 7003
QUESTION = "确认要改绑吗"
LINKS = {"workers", "family_members", "invites", "conversations"}


def _city(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        w1 = make_worker(s, tree["G1"], code="W-1")
        make_worker(s, tree["G1"], code="W-2")
        make_person(s, tree["G1"], keys=keys, now=now, worker=w1, code="P-1")


async def _linked(db, now, code: str, account: int, *, language: str = "zh-hans") -> CoreChat:
    made = db.call(invite_worker, code, actor=Actor.cli(), now=now)
    chat = CoreChat(build_core(db, FrozenClock(now)), account, language=language)
    await chat.say(f"/start {made.code}")
    assert "绑定成功" in chat.texts()[0] or "Linked" in chat.texts()[0]
    return chat


def _family_code(db, now) -> str:
    return db.call(invite_family, "P-1", "母亲", actor=Actor.cli(), now=now).code


def _links(db) -> dict[str, list[tuple]]:
    return {name: rows for name, rows in snapshot(db).items() if name in LINKS}


async def test_a_worker_opening_a_family_invite_is_asked_and_stays_a_worker(db, keys, now):
    _city(db, keys, now)
    worker = await _linked(db, now, "W-1", WORKER)
    code = _family_code(db, now)
    before = _links(db)
    await worker.say(f"/start {code}")
    assert QUESTION in worker.texts()[0] and "网格员" in worker.texts()[0] and "家属" in worker.texts()[0]
    assert worker.button("确认改绑").startswith("iv:y:") and worker.button("保持现状") == "iv:n"
    assert _links(db) == before
    assert db.call(resolve, WORKER).worker_id is not None


async def test_cancelling_changes_nothing(db, keys, now):
    _city(db, keys, now)
    worker = await _linked(db, now, "W-1", WORKER)
    await worker.say(f"/start {_family_code(db, now)}")
    before = _links(db)
    await worker.press(worker.button("保持现状"))
    assert "未作任何更改" in worker.texts()[0] and "网格员" in worker.texts()[0]
    assert _links(db) == before
    await worker.say("/my")
    assert "P-1" in " ".join(worker.texts())


async def test_ignoring_the_question_changes_nothing(db, keys, now):
    _city(db, keys, now)
    worker = await _linked(db, now, "W-1", WORKER)
    await worker.say(f"/start {_family_code(db, now)}")
    await worker.say("/my")
    assert "P-1" in " ".join(worker.texts())
    with db.unit_of_work() as s:
        assert s.scalar(select(Invite.used_at).where(Invite.family_member_id.is_not(None))) is None
        assert s.scalar(select(FamilyMember.telegram_user_id)) is None


async def test_confirming_switches_the_account_and_audits_it(db, keys, now):
    _city(db, keys, now)
    worker = await _linked(db, now, "W-1", WORKER)
    await worker.say("/note")  # a form open as the worker: it must not survive the switch
    await worker.say(f"/start {_family_code(db, now)}")
    await worker.press(worker.button("确认改绑"))
    assert "绑定成功" in worker.texts()[0] and "家属" in worker.texts()[0]
    who = db.call(resolve, WORKER)
    assert who.family_member_id is not None and who.worker_id is None
    with db.unit_of_work() as s:
        assert s.scalar(select(Worker.telegram_user_id).where(Worker.code == "W-1")) is None
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action.in_(("unlink", "link", "switch")))).all()
    trail = {(r.action, r.record_type) for r in rows if r.at == now}
    assert {("unlink", "worker"), ("link", "family"), ("switch", "invite")} <= trail
    switch = next(r for r in rows if r.action == "switch")
    assert switch.detail == "confirmed: grid_worker -> family" and switch.actor_kind == "worker"
    assert _links(db)["conversations"] == []


async def test_the_confirmation_is_checked_server_side(db, keys, now):
    _city(db, keys, now)
    worker = await _linked(db, now, "W-1", WORKER)
    other = await _linked(db, now, "W-2", OTHER)
    await worker.say(f"/start {_family_code(db, now)}")
    confirm = worker.button("确认改绑")
    before = _links(db)
    # pressed by another account (a forwarded or forged button): stale, refused, audited
    await other.press(confirm)
    assert other.toast() == "该按钮已失效。"
    # this account's question, with another code put in: no such invite
    await worker.press(confirm.rsplit(":", 1)[0] + ":AAAAAAAAAAAAAAAA")
    assert "无效" in worker.texts()[0]
    # junk after the prefix
    for junk in ("iv:", "iv:y", "iv:y:w1", "iv:y:x1:abc", "iv:maybe"):
        await worker.press(junk)
        assert worker.toast() == "该按钮已失效。", junk
    assert _links(db) == before
    with db.unit_of_work() as s:
        refusals = s.scalars(
            select(AuditEntry.actor_id).where(
                AuditEntry.action == "refused", AuditEntry.record_type == "invite"
            )
        ).all()
    assert len(refusals) == 6
    # confirmed once; the same button again belongs to who the account was: stale
    await worker.press(confirm)
    assert db.call(resolve, WORKER).family_member_id is not None
    await worker.press(confirm)
    assert worker.toast() == "该按钮已失效。"


async def test_a_staff_account_opening_another_workers_invite_is_asked_too(db, keys, now):
    _city(db, keys, now)
    worker = await _linked(db, now, "W-1", WORKER)
    other = db.call(invite_worker, "W-2", actor=Actor.cli(), now=now)
    await worker.say(f"/start {other.code}")
    assert QUESTION in worker.texts()[0]
    assert db.call(resolve, WORKER).worker_id == _worker_id(db, "W-1")


async def test_a_workers_own_new_invite_links_again_without_a_question(db, keys, now):
    _city(db, keys, now)
    worker = await _linked(db, now, "W-1", WORKER)
    again = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now + timedelta(minutes=1))
    await worker.say(f"/start {again.code}")
    assert "绑定成功" in worker.texts()[0]
    with db.unit_of_work() as s:
        assert not s.scalars(select(AuditEntry).where(AuditEntry.action == "unlink")).all()


async def test_a_family_member_opening_a_worker_invite_is_asked(db, keys, now):
    _city(db, keys, now)
    family = CoreChat(build_core(db, FrozenClock(now)), FAMILY)
    await family.say(f"/start {_family_code(db, now)}")
    made = db.call(invite_worker, "W-2", actor=Actor.cli(), now=now)
    await family.say(f"/start {made.code}")
    assert QUESTION in family.texts()[0] and "家属" in family.texts()[0]
    assert db.call(resolve, FAMILY).family_member_id is not None


async def test_the_question_and_its_buttons_speak_english(db, keys, now):
    _city(db, keys, now)
    worker = await _linked(db, now, "W-1", WORKER, language="en")
    await worker.say(f"/start {_family_code(db, now)}")
    text = worker.texts()[0]
    assert "already linked" in text and "grid worker" in text and "family member" in text
    await worker.press(worker.button("No, keep it"))
    assert "nothing was changed" in worker.texts()[0]


def _worker_id(db, code: str) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(Worker.id).where(Worker.code == code))
