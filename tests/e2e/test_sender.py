"""The sender through the real aiogram and python-telegram-bot clients, against the local Bot API
server: Telegram's flood limits kept with zero 429s, and every injected fault survived with every
message delivered once (or dead-lettered with a reason)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import make_transport
from bot.outbox import Sender, SenderSettings
from bot.telegram_api import Fault, LocalBotApi
from models.clock import FrozenClock
from models.outgoing import Send, keyboard
from models.policy import Policy
from models.services.outbox.queue import enqueue
from tests.e2e.harness import TOKEN, TRANSPORTS, local_api, settings_for, start_bot
from tests.support.outbox import FAST, RunningClock, queue, rows, until

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)

BURST_CHATS = range(1001, 1101)  # 100 chats
BURST_PER_CHAT = 5  # 500 reminders


def timed(client) -> list[float]:
    """Record when each call to the transport starts (monotonic seconds)."""
    starts: list[float] = []
    call = client.call

    async def timed_call(action):
        starts.append(time.monotonic())
        return await call(action)

    client.call = timed_call
    return starts


def delivered(api: LocalBotApi, chats) -> Counter[str]:
    """How many times each text arrived, over the given chats."""
    return Counter(m.text for chat in chats for m in api.transcript(chat))


async def test_a_burst_of_500_reminders_stays_within_telegram_s_limits(
    db, db_url, now, transport, record_property
):
    if not db.is_sqlite:
        pytest.skip("one 17-second burst per transport; PostgreSQL senders: test_two_processes.py")
    keys = queue(db, BURST_CHATS, now=now, per_chat=BURST_PER_CHAT)
    api = LocalBotApi(tokens=[TOKEN])  # Telegram's flood limits: 30/s per bot, 1/s per chat
    await api.start()
    try:
        async with make_transport(settings_for(db_url, api, transport)) as client:
            sends = timed(client)
            sender = Sender(db, client, clock=FrozenClock(now), policy=Policy(), settings=SenderSettings())
            started = time.monotonic()
            await sender.drain(timeout=60)
            elapsed = time.monotonic() - started
    finally:
        await api.stop()
    rate = (len(keys) - 1) / (sends[-1] - sends[0])  # first to last send: the steady rate
    record_property("messages_per_second_steady", round(rate, 2))
    record_property("messages_per_second_overall", round(len(keys) / elapsed, 2))
    assert api.count_429 == 0 and api.flood_429 == 0
    assert len(api.calls_to("sendMessage")) == len(keys)
    assert delivered(api, BURST_CHATS) == Counter(keys), "every reminder arrived exactly once"
    for chat in BURST_CHATS:
        assert [m.text for m in api.transcript(chat)] == [f"m-{chat}-{n}" for n in range(BURST_PER_CHAT)]
    # The rate itself (≥ 0.95 × 30/s) is measured by `python -m bench --only outbox`, not asserted here.


async def test_injected_faults_are_survived_with_every_message_delivered_once_or_dead(
    db, db_url, now, transport
):
    chats = range(201, 211)
    keys = queue(db, chats, now=now, per_chat=2)
    async with local_api() as api:
        api.inject_fault("sendMessage", Fault.flood(1), times=2)
        api.inject_fault("sendMessage", Fault.server_error(500), times=2)
        api.inject_fault("sendMessage", Fault.server_error(502, chat_id=203))
        api.inject_fault("sendMessage", Fault(error_code=504, delay=2.0, chat_id=204))  # times out first
        api.inject_fault("sendMessage", Fault.slow(0.3, chat_id=205))  # slow, but within the time-out
        api.block(206, notify=False)
        settings = replace(FAST, send_timeout=1.5, backoff=0.05, poll_interval=0.02)
        async with make_transport(settings_for(db_url, api, transport)) as client:
            sender = Sender(db, client, clock=RunningClock(now), policy=Policy(), settings=settings)
            await sender.start()
            try:
                await until(
                    lambda: all(r.status in ("sent", "dead") for r in rows(db).values()), what="settled"
                )
            finally:
                await sender.stop()
    final = rows(db)
    dead = {key for key, row in final.items() if row.status == "dead"}
    assert dead == {"m-206-0", "m-206-1"}
    assert all(final[key].last_error.startswith("unreachable: Forbidden") for key in dead)
    assert delivered(api, chats) == Counter(set(keys) - dead), "the rest arrived, each exactly once"
    assert api.count_429 == 2


async def test_a_time_out_after_telegram_accepted_repeats_that_message_once_at_most(
    db, db_url, now, transport
):
    """The documented bound: the answer was lost, so the sender cannot know; it sends once more."""
    queue(db, [301], now=now)
    async with local_api() as api:
        api.inject_fault("sendMessage", Fault.slow(1.0, chat_id=301))
        settings = replace(FAST, send_timeout=0.3, backoff=0.05)
        async with make_transport(settings_for(db_url, api, transport)) as client:
            sender = Sender(db, client, clock=RunningClock(now), policy=Policy(), settings=settings)
            await sender.start()
            try:
                await api.wait_until(lambda: api.sent_count(301) == 2, timeout=10, what="both copies")
                await until(lambda: rows(db)["m-301-0"].status == "sent", what="marked")
            finally:
                await sender.stop()
    assert [m.text for m in api.transcript(301)] == ["m-301-0", "m-301-0"]
    assert rows(db)["m-301-0"].attempts == 2


async def test_the_morning_list_is_edited_in_place_through_the_real_client(db, db_url, now, transport):
    with db.unit_of_work() as s:
        enqueue(s, message=Send(401, "2 due"), purpose="reminder", dedupe_key="am", now=now)
    async with local_api() as api, make_transport(settings_for(db_url, api, transport)) as client:
        sender = Sender(db, client, clock=FrozenClock(now), policy=Policy(), settings=FAST)
        await sender.drain()
        with db.unit_of_work() as s:
            edit = Send(401, "1 due ✓", keyboard([[("Visit", "visit:1")]]))
            enqueue(s, message=edit, edit_of="am", purpose="reminder", dedupe_key="am:1", now=now)
        await sender.drain()
    (message,) = api.transcript(401)
    assert (message.text, message.edit_count, message.buttons) == ("1 due ✓", 1, [("Visit", "visit:1")])


async def test_polling_starts_the_sender_and_stopping_stops_it(db, db_url, now, transport):
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            queue(db, [501], now=now, purpose="alert", urgent=True)
            running.bot.sender.wake()
            messages = await api.wait_for_messages(501, 1)
        finally:
            await running.stop()
    assert messages[0].text == "m-501-0" and rows(db)["m-501-0"].status == "sent"
    assert running.bot.sender._loop is None, "the sender stopped with polling"


class Killed(BaseException):
    """The process dies here (SIGKILL): none of the sender's handlers run."""


async def test_a_crash_after_telegram_accepted_repeats_that_message_once_and_loses_nothing(
    db, db_url, now, transport
):
    keys = queue(db, range(601, 611), now=now)
    clock, crashed = FrozenClock(now), asyncio.Event()
    async with local_api() as api, make_transport(settings_for(db_url, api, transport)) as client:
        real_call = client.call

        async def dies_after_accepting(action):
            sent = await real_call(action)  # the local server has accepted and stored the message
            if action.chat_id == 603 and not crashed.is_set():
                crashed.set()
                raise Killed
            return sent

        client.call = dies_after_accepting
        first = Sender(db, client, clock=clock, policy=Policy(), settings=replace(FAST, lease=60))
        await first.start()
        await asyncio.wait_for(crashed.wait(), 10)
        tasks = [first._loop, *first._inflight]  # the process is gone: no cleanup of any kind
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        before_crash = set(delivered(api, range(601, 611)))
        client.call = real_call
        clock.advance(timedelta(seconds=60))  # the dead sender's lease runs out
        await Sender(db, client, clock=clock, policy=Policy(), settings=FAST).drain()
    copies = delivered(api, range(601, 611))
    assert set(copies) == set(keys), "nothing is lost"
    assert copies["m-603-0"] == 2 and max(copies.values()) == 2
    assert {text for text, n in copies.items() if n == 2} <= before_crash
