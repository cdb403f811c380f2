"""Chat hygiene through the database: /forget for each kind of caller, and sensitive messages that
delete themselves after the configured hours, once."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.outbox import Sender
from handlers.context import JobCtx
from handlers.events import DeleteMessages, Send
from handlers.hygiene import delete_sensitive
from handlers.render import Renderer
from models.audit import Actor, AuditEntry
from models.clock import FrozenClock
from models.policy import Policy
from models.services.directory.invites import invite_family, invite_worker
from tests.factories import make_person, make_tree, make_worker
from tests.support.chat import CoreChat, build_core
from tests.support.outbox import FAST, FakeTelegram, queue, rows

RENDERER = Renderer(ZoneInfo("Asia/Shanghai"))


def _city(db, keys, now) -> None:
    with db.unit_of_work() as s:
        tree = make_tree(s)
        worker = make_worker(s, tree["G1"], code="W-1")
        make_person(s, tree["G1"], keys=keys, now=now, worker=worker, code="P-MINE")


def _audited(db, action: str) -> list[AuditEntry]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _deletions(actions) -> list[DeleteMessages]:
    return [a for a in actions if isinstance(a, DeleteMessages)]


async def test_forget_deletes_every_id_below_the_command_in_batches_then_confirms(db, keys, now):
    _city(db, keys, now)
    code = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now).code
    chat = CoreChat(build_core(db, FrozenClock(now)), 501)
    await chat.say(f"/start {code}")
    chat.message_ids = count(250)  # the chat has come a long way
    actions = await chat.say("/forget")
    deletions = _deletions(actions)
    assert all(d.chat_id == 501 and 1 <= len(d.message_ids) <= 100 for d in deletions)
    asked = sorted(i for d in deletions for i in d.message_ids)
    assert asked == list(range(1, 250))
    assert isinstance(actions[-1], Send) and "已清理" in actions[-1].text  # after the deletions
    (entry,) = _audited(db, "forget")
    assert (entry.record_type, entry.actor_kind, entry.detail) == ("chat", "worker", "ids asked: 249")


async def test_forget_reaches_back_a_thousand_ids_at_most(db, keys, now):
    _city(db, keys, now)
    code = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now).code
    chat = CoreChat(build_core(db, FrozenClock(now)), 501)
    await chat.say(f"/start {code}")
    chat.message_ids = count(5000)
    asked = sorted(i for d in _deletions(await chat.say("/forget")) for i in d.message_ids)
    assert asked == list(range(4000, 5000))


async def test_a_family_member_may_forget_too(db, keys, now):
    _city(db, keys, now)
    code = db.call(invite_family, "P-MINE", "配偶", actor=Actor.cli(), now=now).code
    chat = CoreChat(build_core(db, FrozenClock(now)), 777)
    await chat.say(f"/start {code}")
    actions = await chat.say("/forget")  # message id 2
    assert _deletions(actions) == [DeleteMessages(777, (1,))]
    assert [e.actor_kind for e in _audited(db, "forget")] == ["family"]


async def test_an_unlinked_account_is_refused_deletes_nothing_and_the_refusal_is_audited(db, keys, now):
    _city(db, keys, now)
    chat = CoreChat(build_core(db, FrozenClock(now)), 999)
    chat.message_ids = count(50)
    actions = await chat.say("/forget")
    assert _deletions(actions) == []
    assert chat.texts() and all("邀请" in t for t in chat.texts())
    assert _audited(db, "forget") == []
    assert [e.detail for e in _audited(db, "refused")] == ["forget"]


# -- sensitive messages delete themselves ---------------------------------------------------------


def _job(db, clock: FrozenClock, hours: int) -> int:
    with db.unit_of_work() as s:
        policy = Policy(sensitive_delete_hours=hours)
        return delete_sensitive(JobCtx(now=clock.now(), renderer=RENDERER, _session=s, policy=policy))


async def _drain(db, telegram: FakeTelegram, clock: FrozenClock) -> None:
    await Sender(db, telegram, clock=clock, policy=Policy(), settings=FAST).drain()


async def _sent_city(db, now) -> tuple[FakeTelegram, FrozenClock, dict[str, int]]:
    """An alert, a relay and a reminder delivered at `now`; their Telegram message ids by key."""
    queue(db, [31], now=now, purpose="alert", urgent=True, prefix="alert")
    queue(db, [32], now=now, purpose="family_relay", urgent=True, prefix="relay")
    queue(db, [31], now=now, purpose="reminder", urgent=True, prefix="reminder")
    clock, telegram = FrozenClock(now), FakeTelegram()
    await _drain(db, telegram, clock)
    ids = {key: row.message_id for key, row in rows(db).items()}
    assert all(ids.values())
    return telegram, clock, ids


async def test_a_sensitive_message_is_deleted_once_after_n_hours_and_others_are_kept(db, now):
    telegram, clock, ids = await _sent_city(db, now)
    clock.advance(timedelta(hours=5))
    assert _job(db, clock, hours=6) == 0  # not yet
    clock.advance(timedelta(hours=2))  # N + 1 hours after the send
    assert _job(db, clock, hours=6) == 2
    assert _job(db, clock, hours=6) == 0  # the job run again queues nothing more
    await _drain(db, telegram, clock)
    clock.advance(timedelta(minutes=5))
    assert _job(db, clock, hours=6) == 0  # nor once the deletions were sent
    await _drain(db, telegram, clock)
    deleted = sorted((d.chat_id, d.message_ids) for d in _deletions(telegram.delivered))
    assert deleted == [(31, (ids["alert-31-0"],)), (32, (ids["relay-32-0"],))]
    assert ids["reminder-31-0"] not in {i for _, mids in deleted for i in mids}
    assert all(r.status == "sent" for r in rows(db).values())


async def test_with_zero_hours_nothing_is_ever_deleted(db, now):
    telegram, clock, _ = await _sent_city(db, now)
    clock.advance(timedelta(hours=20))
    assert _job(db, clock, hours=0) == 0
    await _drain(db, telegram, clock)
    assert _deletions(telegram.delivered) == []


async def test_messages_older_than_telegram_lets_delete_are_left_alone(db, now):
    telegram, clock, _ = await _sent_city(db, now)
    clock.advance(timedelta(hours=49))  # e.g. the bot was down, or the setting came later
    assert _job(db, clock, hours=6) == 0
    await _drain(db, telegram, clock)
    assert _deletions(telegram.delivered) == []
