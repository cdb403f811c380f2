"""Invites link a Telegram account once, expire, and are stored only as hashes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from models.audit import Actor, AuditEntry
from models.people import FamilyMember, Worker
from models.services.directory.invites import Redeemed, invite_family, invite_worker, redeem
from tests.factories import make_person, make_tree, make_worker


def _setup(db, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        worker = make_worker(s, tree["G1"], code="W-1")
        make_person(s, tree["G1"], keys=keys, now=now, worker=worker, code="P-1")


def test_worker_invite_links_the_account_once(db, keys, now):
    _setup(db, keys, now)
    made = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now)
    assert db.call(redeem, made.code, 555, now=now).outcome is Redeemed.linked_worker
    assert db.call(redeem, made.code, 556, now=now).outcome is Redeemed.invalid
    with db.unit_of_work() as s:
        assert s.scalar(select(Worker.telegram_user_id).where(Worker.code == "W-1")) == 555


def test_expired_and_unknown_codes_are_refused_alike(db, keys, now):
    _setup(db, keys, now)
    made = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now)
    later = now + timedelta(days=8)
    assert db.call(redeem, made.code, 555, now=later).outcome is Redeemed.invalid
    assert db.call(redeem, "not-a-code", 555, now=now).outcome is Redeemed.invalid


def test_family_invite_creates_a_verified_member_on_redemption(db, keys, now):
    _setup(db, keys, now)
    made = db.call(invite_family, "P-1", "母亲", actor=Actor.cli(), now=now)
    result = db.call(redeem, made.code, 777, now=now)
    assert result.outcome is Redeemed.linked_family
    with db.unit_of_work() as s:
        member = s.scalar(select(FamilyMember))
        assert (member.relation, member.telegram_user_id, member.verified) == ("母亲", 777, True)
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "link")) is not None


def test_only_the_hash_of_a_code_is_stored(db, keys, now):
    _setup(db, keys, now)
    made = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now)
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT code_hash FROM invites")).scalar_one()
    assert made.code not in stored and len(stored) == 64


def test_linking_an_account_again_replaces_the_older_link(db, keys, now):
    _setup(db, keys, now)
    first = db.call(invite_family, "P-1", "父亲", actor=Actor.cli(), now=now)
    db.call(redeem, first.code, 900, now=now)
    second = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now)
    db.call(redeem, second.code, 900, now=now)
    with db.unit_of_work() as s:
        member = s.scalar(select(FamilyMember))
        assert member.telegram_user_id is None and member.active is False
