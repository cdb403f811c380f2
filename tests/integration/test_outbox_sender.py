"""The sender turns queued rows into Telegram calls and records what Telegram answered."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

from bot.outbox import Sender
from handlers.events import (
    BadRequest,
    RetryLater,
    Send,
    SendContact,
    SendDocument,
    SendPhoto,
    Transient,
    Unreachable,
)
from models.chat import Chat
from models.clock import FrozenClock
from models.outgoing import keyboard
from models.policy import Policy
from models.services.identity import chat_settings
from models.services.outbox.queue import enqueue
from tests.support.outbox import FAST, FakeTelegram, queue, rows, until


def sender(db, telegram, clock, settings=FAST) -> Sender:
    return Sender(db, telegram, clock=clock, policy=Policy(), settings=settings)


async def test_every_due_message_is_sent_once_and_keeps_its_telegram_message_id(db, now):
    keys = queue(db, [11, 12, 13], now=now, per_chat=2)
    telegram = FakeTelegram()
    await sender(db, telegram, FrozenClock(now)).drain()
    assert sorted(a.text for a in telegram.delivered) == sorted(keys)
    assert all(r.status == "sent" and r.message_id for r in rows(db).values())


async def test_a_message_queued_for_later_waits_until_then(db, now):
    with db.unit_of_work() as s:
        enqueue(
            s,
            message=Send(5, "x"),
            purpose="r",
            dedupe_key="later",
            now=now,
            available_at=now + timedelta(hours=1),
        )
    clock, telegram = FrozenClock(now), FakeTelegram()
    await sender(db, telegram, clock).drain()
    assert telegram.delivered == []
    clock.advance(timedelta(hours=1))
    await sender(db, telegram, clock).drain()
    assert len(telegram.delivered) == 1


async def test_messages_to_one_chat_arrive_in_the_order_they_were_queued(db, now):
    keys = queue(db, [7], now=now, per_chat=6)
    telegram = FakeTelegram()
    await sender(db, telegram, FrozenClock(now)).drain()
    assert telegram.texts(7) == keys


async def test_a_flood_answer_is_waited_out_and_the_message_sent_once(db, now):
    queue(db, [21, 22], now=now)
    telegram = FakeTelegram()
    telegram.fail_next(RetryLater(0.05), chat_id=21)
    await sender(db, telegram, FrozenClock(now)).drain()
    assert sorted(telegram.texts(21) + telegram.texts(22)) == ["m-21-0", "m-22-0"]
    assert rows(db)["m-21-0"].status == "sent" and rows(db)["m-21-0"].attempts == 1


async def test_a_flood_answer_pauses_the_sends_to_every_chat(db, now):
    class Timed(FakeTelegram):
        def __init__(self) -> None:
            super().__init__()
            self.at: list[float] = []

        async def call(self, action):
            self.at.append(time.monotonic())
            return await super().call(action)

    queue(db, [21, 22, 23], now=now)
    telegram = Timed()
    telegram.fail_next(RetryLater(0.3), chat_id=21)
    await sender(db, telegram, FrozenClock(now), replace(FAST, per_second=20)).drain()
    flood, *after = telegram.at
    assert telegram.calls[0].chat_id == 21 and len(after) == 3
    assert min(after) - flood >= 0.3, "no chat is sent to until retry_after has passed"


async def test_a_server_error_is_retried_after_an_exponential_backoff(db, now):
    queue(db, [31], now=now)
    clock, telegram = FrozenClock(now), FakeTelegram()
    telegram.fail_next(Transient("502 Bad Gateway"), times=2)
    settings = replace(FAST, backoff=10.0)
    await sender(db, telegram, clock, settings).drain()
    assert rows(db)["m-31-0"].status == "pending" and rows(db)["m-31-0"].last_error == "502 Bad Gateway"
    clock.advance(timedelta(seconds=10))
    await sender(db, telegram, clock, settings).drain()
    clock.advance(timedelta(seconds=19))  # the second wait is twice as long
    await sender(db, telegram, clock, settings).drain()
    assert telegram.delivered == []
    clock.advance(timedelta(seconds=1))
    await sender(db, telegram, clock, settings).drain()
    assert telegram.texts(31) == ["m-31-0"] and rows(db)["m-31-0"].status == "sent"


async def test_a_message_that_keeps_failing_is_dead_lettered_with_the_reason(db, now):
    queue(db, [41], now=now)
    clock, telegram = FrozenClock(now), FakeTelegram()
    telegram.fail_next(Transient("500 Internal Server Error"), times=3)
    settings = replace(FAST, max_attempts=3, backoff=1.0)
    for _ in range(4):
        await sender(db, telegram, clock, settings).drain()
        clock.advance(timedelta(seconds=10))
    row = rows(db)["m-41-0"]
    assert row.status == "dead" and row.attempts == 3
    assert row.last_error == "gave up after 3 attempts: 500 Internal Server Error"
    assert telegram.delivered == []


async def test_a_chat_that_blocked_the_bot_is_marked_unreachable_and_its_message_dead(db, now):
    queue(db, [51, 52], now=now)
    telegram = FakeTelegram()
    telegram.fail_next(Unreachable("Forbidden: bot was blocked by the user"), chat_id=51)
    await sender(db, telegram, FrozenClock(now)).drain()
    assert rows(db)["m-51-0"].status == "dead"
    assert rows(db)["m-51-0"].last_error == "unreachable: Forbidden: bot was blocked by the user"
    with db.unit_of_work() as s:
        assert s.get(Chat, 51).unreachable and not s.get(Chat, 52)
    assert telegram.texts(52) == ["m-52-0"]


async def test_a_chat_marked_unreachable_is_reachable_again_once_a_message_gets_through(db, now):
    db.call(chat_settings, 61, now=now)
    with db.unit_of_work() as s:
        s.get(Chat, 61).unreachable = True
    queue(db, [61], now=now)
    await sender(db, FakeTelegram(), FrozenClock(now)).drain()
    with db.unit_of_work() as s:
        assert s.get(Chat, 61).unreachable is False


async def test_a_message_telegram_rejects_is_dead_at_once_with_telegram_s_words(db, now):
    queue(db, [71], now=now)
    telegram = FakeTelegram()
    telegram.fail_next(BadRequest("Bad Request: message is too long"))
    await sender(db, telegram, FrozenClock(now)).drain()
    row = rows(db)["m-71-0"]
    assert (row.status, row.attempts, row.last_error) == ("dead", 1, "Bad Request: message is too long")


async def test_every_kind_of_message_comes_out_of_the_outbox_as_it_went_in(db, now):
    messages = {
        "photo": SendPhoto(81, data=b"\x89PNG", caption="chart", buttons=keyboard([[("Open", "o:1")]])),
        "doc": SendDocument(81, "week.xlsx", b"PK", caption="export"),
        "contact": SendContact(81, "+86 555 0100", "Wang", "Wei"),
    }
    with db.unit_of_work() as s:
        for key, message in messages.items():
            enqueue(s, message=message, purpose="notice", dedupe_key=key, now=now)
    telegram = FakeTelegram()
    await sender(db, telegram, FrozenClock(now)).drain()
    photo, doc, contact = telegram.delivered
    assert isinstance(photo, SendPhoto) and photo.data == b"\x89PNG" and photo.buttons[0][0].data == "o:1"
    assert isinstance(doc, SendDocument) and (doc.filename, doc.data, doc.caption) == (
        "week.xlsx",
        b"PK",
        "export",
    )
    assert contact == SendContact(81, "+86 555 0100", "Wang", "Wei")


async def test_a_send_that_hangs_past_the_time_out_is_retried_later(db, now):
    class Hanging(FakeTelegram):
        async def call(self, action):
            if not self.calls:
                self.calls.append(action)
                await asyncio.sleep(5)
            return await super().call(action)

    queue(db, [91], now=now)
    clock, telegram = FrozenClock(now), Hanging()
    settings = replace(FAST, send_timeout=0.05, backoff=1.0)
    await sender(db, telegram, clock, settings).drain()
    assert rows(db)["m-91-0"].last_error == "time-out after 0.05 s"
    clock.advance(timedelta(seconds=1))
    await sender(db, telegram, clock, settings).drain()
    assert telegram.texts(91) == ["m-91-0"]


async def test_stopping_gives_rows_not_yet_sent_back_to_the_queue(db, now):
    queue(db, [101, 102, 103], now=now)
    telegram = FakeTelegram()
    slow = replace(FAST, per_second=1.0)  # one now, the next in a second, the third in two
    running = sender(db, telegram, FrozenClock(now), slow)
    await running.start()
    await until(lambda: telegram.delivered, what="the first send")
    await running.stop()
    states = sorted((r.status, r.attempts) for r in rows(db).values())
    assert states == [("pending", 0), ("pending", 0), ("sent", 1)]


async def test_a_woken_sender_sends_at_once_without_waiting_for_its_poll(db, now):
    telegram = FakeTelegram()
    running = sender(db, telegram, FrozenClock(now), replace(FAST, poll_interval=30))
    await running.start()
    try:
        await asyncio.sleep(0.05)  # let it find the queue empty and go idle
        queue(db, [111], now=now)
        running.wake()
        await until(lambda: telegram.delivered, timeout=5, what="the woken send")
    finally:
        await running.stop()
    assert telegram.delivered == [Send(111, "m-111-0")]


async def test_a_message_waiting_for_its_retry_holds_back_the_chat_s_later_ones(db, now):
    queue(db, [121], now=now, per_chat=2)
    clock, telegram = FrozenClock(now), FakeTelegram()
    telegram.fail_next(Transient("502 Bad Gateway"))
    settings = replace(FAST, backoff=10.0)
    await sender(db, telegram, clock, settings).drain()
    assert telegram.delivered == [] and rows(db)["m-121-1"].status == "pending"
    queue(db, [121], now=now, prefix="alert", urgent=True)
    await sender(db, telegram, clock, settings).drain()
    assert telegram.texts(121) == ["alert-121-0"], "an urgent alert is not held back"
    clock.advance(timedelta(seconds=10))
    await sender(db, telegram, clock, settings).drain()
    assert telegram.texts(121) == ["alert-121-0", "m-121-0", "m-121-1"]


async def test_a_new_leader_sends_nothing_in_its_first_second(db, now):
    """Of several processes one sends; the one that takes over cannot see what the last one sent in
    its last second, so it waits that second out before its first claim (on SQLite one process
    sends from the start: nobody came before it)."""
    wall = [1_000.0]  # the sender's wall clock, moved by hand
    queue(db, [121], now=now)
    telegram = FakeTelegram()
    running = Sender(
        db, telegram, clock=FrozenClock(now), policy=Policy(), settings=FAST, wall=lambda: wall[0]
    )
    await running.start()
    try:
        if not db.is_sqlite:
            await asyncio.sleep(0.3)  # it has taken the lock, and waits
            assert telegram.delivered == []
            wall[0] += 1.0
            running.wake()
        await until(lambda: telegram.delivered, timeout=5, what="the first send")
    finally:
        await running.stop()
    assert telegram.delivered == [Send(121, "m-121-0")]
