"""Issue 17.1: an invite never links an account to a worker who left, and bringing a worker back
(by import or otherwise) never brings back a Telegram link.

The attack: `gridcare invite worker W-G4`, `gridcare worker deactivate W-G4 --successor W-G3`, a
stranger's account redeems the leftover code, and a routine re-import with 在岗=true made that
account a grid worker with W-G4's jurisdiction.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from models.audit import Actor, AuditEntry
from models.clock import FrozenClock
from models.people import Invite, Worker
from models.services.directory.invites import Redeemed, invite_worker, redeem
from models.services.directory.workforce import deactivate_worker
from models.services.identity import resolve
from models.services.spreadsheets.importing import apply_import, plan_import
from tests.factories import make_person, make_tree, make_worker
from tests.support.chat import CoreChat, build_core

STRANGER = 9001


def _city(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        g3 = make_worker(s, tree["G1"], code="W-G3")
        g4 = make_worker(s, tree["G1"], code="W-G4")
        make_person(s, tree["G1"], keys=keys, now=now, worker=g4, code="P-1")
        make_person(s, tree["G1"], keys=keys, now=now, worker=g3, code="P-2")


def _deactivate(db, now, code="W-G4", successor="W-G3"):
    with db.unit_of_work() as s:
        return deactivate_worker(s, code, successor, actor=Actor.cli(), now=now, today=now.date())


def _import_workers(db, now, keys, active: str, code="W-G4"):
    rows = [{"工号": code, "姓名": "回来的人", "角色": "网格员", "网格编码": "T-G1", "在岗": active}]
    with db.unit_of_work() as s:
        plan = plan_import(s, "workers", rows)
        assert not plan.errors, plan.errors
        apply_import(s, plan, keys=keys, actor=Actor.cli(), now=now)


def _link_of(db, code):
    with db.unit_of_work() as s:
        return s.scalar(select(Worker.telegram_user_id).where(Worker.code == code))


async def test_the_reported_attack_leaves_the_stranger_unlinked(db, keys, now):
    """The whole sequence of the report: a leftover invite, a departure, a redemption, a re-import."""
    _city(db, keys, now)
    leftover = db.call(invite_worker, "W-G4", actor=Actor.cli(), now=now)
    _deactivate(db, now + timedelta(minutes=1))
    stranger = CoreChat(build_core(db, FrozenClock(now + timedelta(minutes=2))), STRANGER)
    await stranger.say(f"/start {leftover.code}")
    assert "绑定成功" not in stranger.texts()[0]
    _import_workers(db, now + timedelta(minutes=3), keys, active="true")
    assert _link_of(db, "W-G4") is None
    assert db.call(resolve, STRANGER).worker_id is None
    await stranger.say("/my")
    assert "P-1" not in " ".join(stranger.texts())


def test_deactivation_revokes_the_workers_unused_invites(db, keys, now):
    _city(db, keys, now)
    first = db.call(invite_worker, "W-G4", actor=Actor.cli(), now=now)
    second = db.call(invite_worker, "W-G4", actor=Actor.cli(), now=now)
    done = _deactivate(db, now + timedelta(minutes=1))
    assert done.invites_revoked == 2
    later = now + timedelta(minutes=2)
    for made in (first, second):
        assert db.call(redeem, made.code, STRANGER, now=later).outcome is Redeemed.invalid
    with db.unit_of_work() as s:
        revoked = s.scalars(select(AuditEntry.record_id).where(AuditEntry.action == "revoke")).all()
        invites = s.scalars(select(Invite.id).where(Invite.worker_id.is_not(None))).all()
    assert sorted(revoked) == sorted(invites)


def test_deactivation_leaves_other_workers_invites_alone(db, keys, now):
    _city(db, keys, now)
    theirs = db.call(invite_worker, "W-G3", actor=Actor.cli(), now=now)
    _deactivate(db, now + timedelta(minutes=1))
    result = db.call(redeem, theirs.code, STRANGER, now=now + timedelta(minutes=2))
    assert result.outcome is Redeemed.linked_worker


async def test_an_invite_of_an_inactive_worker_is_refused_with_a_clear_answer(db, keys, now):
    """However the worker came to be inactive (a database edit, an import), the invite links nobody."""
    _city(db, keys, now)
    made = db.call(invite_worker, "W-G4", actor=Actor.cli(), now=now)
    with db.unit_of_work() as s:
        s.execute(update(Worker).where(Worker.code == "W-G4").values(active=False))
    assert db.call(redeem, made.code, STRANGER, now=now).outcome is Redeemed.inactive_worker
    stranger = CoreChat(build_core(db, FrozenClock(now)), STRANGER)
    await stranger.say(f"/start {made.code}")
    assert "停用" in stranger.texts()[0] and "绑定成功" not in stranger.texts()[0]
    assert _link_of(db, "W-G4") is None
    with db.unit_of_work() as s:
        assert s.scalar(select(Invite.used_at)) is None  # not consumed: the worker's state is the obstacle


def test_reactivation_by_import_never_restores_an_old_link(db, keys, now):
    """An inactive worker still holding a link (data from before this fix) comes back unlinked."""
    _city(db, keys, now)
    with db.unit_of_work() as s:
        s.execute(update(Worker).where(Worker.code == "W-G4").values(active=False, telegram_user_id=STRANGER))
    _import_workers(db, now, keys, active="是")
    assert _link_of(db, "W-G4") is None
    assert db.call(resolve, STRANGER).worker_id is None
    with db.unit_of_work() as s:
        unlinked = s.scalar(select(AuditEntry).where(AuditEntry.action == "unlink"))
    assert unlinked is not None and unlinked.record_type == "worker"


def test_deactivation_by_import_unlinks_and_revokes(db, keys, now):
    _city(db, keys, now)
    linked = db.call(invite_worker, "W-G4", actor=Actor.cli(), now=now)
    db.call(redeem, linked.code, STRANGER, now=now)
    spare = db.call(invite_worker, "W-G4", actor=Actor.cli(), now=now)
    _import_workers(db, now + timedelta(minutes=1), keys, active="否")
    assert _link_of(db, "W-G4") is None
    later = now + timedelta(minutes=2)
    assert db.call(redeem, spare.code, STRANGER + 1, now=later).outcome is Redeemed.invalid
    _import_workers(db, now + timedelta(minutes=3), keys, active="是")
    assert _link_of(db, "W-G4") is None and db.call(resolve, STRANGER).worker_id is None


def test_an_import_that_keeps_a_worker_active_keeps_their_link(db, keys, now):
    _city(db, keys, now)
    made = db.call(invite_worker, "W-G4", actor=Actor.cli(), now=now)
    db.call(redeem, made.code, STRANGER, now=now)
    _import_workers(db, now + timedelta(minutes=1), keys, active="是")
    assert _link_of(db, "W-G4") == STRANGER
