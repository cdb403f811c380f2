"""An update's replies (bot/replies.py): performed at once, or queued in the outbox for the sender
when Telegram will not take them; an edit whose message is gone arrives as a new message."""

from __future__ import annotations

from bot.outbox import Sender
from bot.replies import Replies, ReplySettings
from handlers.events import (
    AnswerCallback,
    BadRequest,
    Button,
    Edit,
    Incoming,
    InKind,
    Send,
    Transient,
)
from models.clock import FrozenClock
from models.policy import Policy
from models.services.outbox.replies import REPLY, reply_key
from tests.support.outbox import FAST, FakeTelegram, rows

CHAT = 5
GONE = BadRequest("Bad Request: message to edit not found")
KEYS = ((Button("Visit", "v:1"),),)
QUICK = ReplySettings(attempts=2, backoff=0.0)


def _incoming(update_id: int = 70, *, callback: bool = False) -> Incoming:
    kind = InKind.callback if callback else InKind.message
    return Incoming(bot_id=1, update_id=update_id, kind=kind, user_id=CHAT, chat_id=CHAT)


def _replies(db, telegram, now) -> Replies:
    return Replies(db, telegram, clock=FrozenClock(now), settings=QUICK)


async def test_an_edit_whose_message_is_gone_is_sent_as_a_new_message(db, now):
    telegram = FakeTelegram()
    telegram.fail_next(GONE, chat_id=CHAT)
    await _replies(db, telegram, now).deliver(_incoming(), [Edit(CHAT, 77, "已保存", KEYS)])
    assert telegram.delivered == [Send(CHAT, "已保存", KEYS)]
    assert rows(db) == {}


async def test_replies_telegram_will_not_take_are_queued_from_the_first_failure_on(db, now):
    telegram = FakeTelegram()
    replies = _replies(db, telegram, now)
    first, second, third = Send(CHAT, "one"), Edit(CHAT, 40, "two"), Send(CHAT, "three")
    await replies.deliver(_incoming(), [first])  # Telegram is up
    telegram.fail_next(Transient("502"), chat_id=CHAT, times=QUICK.attempts)
    await replies.deliver(_incoming(71), [second, third])
    assert telegram.delivered == [first]
    queued = [r for r in rows(db).values() if r.dedupe_key.startswith(REPLY)]
    assert [(r.dedupe_key, r.payload["text"]) for r in queued] == [
        (reply_key(1, 71, 0), "two"),
        (reply_key(1, 71, 1), "three"),
    ]


async def test_the_same_replies_queued_twice_are_queued_once(db, now):
    telegram = FakeTelegram()
    replies = _replies(db, telegram, now)
    telegram.fail_next(Transient("502"), chat_id=CHAT, times=QUICK.attempts)
    await replies.deliver(_incoming(), [Send(CHAT, "one")])
    await replies.deliver(_incoming(), [Send(CHAT, "one")])  # queued behind itself: no new row
    assert list(rows(db)) == [reply_key(1, 70, 0)]


async def test_a_later_reply_waits_behind_queued_ones_and_the_sender_keeps_their_order(db, now):
    telegram = FakeTelegram()
    replies = _replies(db, telegram, now)
    telegram.fail_next(Transient("502"), chat_id=CHAT, times=QUICK.attempts)
    await replies.deliver(_incoming(70), [Send(CHAT, "one"), Send(CHAT, "two")])
    await replies.deliver(_incoming(71), [Send(CHAT, "three")])  # Telegram is back
    assert telegram.delivered == []
    await Sender(db, telegram, clock=FrozenClock(now), policy=Policy(), settings=FAST).drain()
    assert telegram.texts(CHAT) == ["one", "two", "three"]
    assert {r.status for r in rows(db).values()} == {"sent"}


async def test_an_answer_to_a_button_press_is_never_queued(db, now):
    telegram = FakeTelegram()
    telegram.fail_next(Transient("502"), times=2 * QUICK.attempts)
    press = AnswerCallback("q1", "ok")
    await _replies(db, telegram, now).deliver(_incoming(callback=True), [press, Send(CHAT, "one")])
    assert [r.payload["kind"] for r in rows(db).values()] == ["send"]


async def test_the_sender_sends_a_queued_edit_whose_message_is_gone_as_a_new_message(db, now):
    telegram = FakeTelegram()
    replies = _replies(db, telegram, now)
    telegram.fail_next(Transient("502"), chat_id=CHAT, times=QUICK.attempts)
    await replies.deliver(_incoming(), [Edit(CHAT, 77, "已保存", KEYS)])
    telegram.fail_next(GONE, chat_id=CHAT)
    await Sender(db, telegram, clock=FrozenClock(now), policy=Policy(), settings=FAST).drain()
    assert telegram.delivered == [Send(CHAT, "已保存", KEYS)]
    row = rows(db)[reply_key(1, 70, 0)]
    assert row.status == "sent" and row.message_id not in (None, 77)


class _DatabaseDown:
    """The database's `run`, failing as an unreachable server does."""

    async def run(self, fn, /, *args, **kwargs):
        raise ConnectionError("database unreachable")


async def test_with_the_database_down_the_reply_is_still_sent_directly(now):
    telegram = FakeTelegram()
    replies = Replies(_DatabaseDown(), telegram, clock=FrozenClock(now), settings=QUICK)
    await replies.deliver(_incoming(), [Send(CHAT, "抱歉，出了点问题")])
    assert telegram.texts(CHAT) == ["抱歉，出了点问题"]


class _CountingDb:
    """The database, counting the units of work run through it."""

    def __init__(self, db) -> None:
        self.db, self.units = db, 0

    async def run(self, fn, *args, **kwargs):
        self.units += 1
        return await self.db.run(fn, *args, **kwargs)


async def test_the_update_s_own_unit_tells_whether_its_replies_queue_behind_earlier_ones(db, now):
    """One trip to the database per update: the core reads the outbox in the update's unit of work
    (handlers.core.Answer), and the replies queue behind a reply still waiting for that chat."""
    from tests.support.chat import BOT_ID, build_core

    telegram, counting = FakeTelegram(), _CountingDb(db)
    core = build_core(db, FrozenClock(now))
    core.run_unit = counting.run
    replies = Replies(counting, telegram, clock=FrozenClock(now), settings=QUICK)

    def update(update_id: int) -> Incoming:
        return Incoming(BOT_ID, update_id, InKind.message, CHAT, CHAT, text="/help", message_id=update_id)

    answer = await core.answer(update(80))
    assert answer.behind is False and answer.actions
    await replies.deliver(update(80), answer.actions, behind=answer.behind)
    assert counting.units == 1 and len(telegram.delivered) == len(answer.actions)

    telegram.fail_next(Transient("502"), chat_id=CHAT, times=QUICK.attempts)
    answer = await core.answer(update(81))
    await replies.deliver(update(81), answer.actions, behind=answer.behind)  # Telegram is down: queued
    waiting = len(rows(db))
    assert waiting == len(answer.actions)

    answer = await core.answer(update(82))  # Telegram is back, but the chat has replies waiting
    assert answer.behind is True
    units = counting.units
    await replies.deliver(update(82), answer.actions, behind=answer.behind)
    assert len(rows(db)) == waiting + len(answer.actions), "a later reply overtook the queued ones"
    assert counting.units == units + 1  # queueing them: no second look at the outbox
