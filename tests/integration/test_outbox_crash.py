"""A sender killed at any moment loses nothing, and a message arrives at most once more after a
crash: only if Telegram accepted it just before the kill and its `sent` mark never committed."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import timedelta

from bot.outbox import Sender
from models.clock import FrozenClock
from models.policy import Policy
from models.services.outbox import claims
from models.services.outbox.pace import Pacing
from tests.support.outbox import FAST, FakeTelegram, queue, rows, until

LEASE = 60.0


class Killed(BaseException):
    """The process dies here, as with SIGKILL: no handler of the sender runs after it."""


class DiesAfterAccepting(FakeTelegram):
    """Telegram accepts the n-th message, then the process dies before hearing back."""

    def __init__(self, die_on: int) -> None:
        super().__init__()
        self.die_on = die_on
        self.dead = asyncio.Event()

    async def call(self, action):
        sent = await super().call(action)
        if len(self.delivered) == self.die_on:
            self.dead.set()
            raise Killed
        return sent


async def kill(sender: Sender) -> None:
    """Cancel the loop and every send task without any of the sender's cleanup."""
    tasks = [sender._loop, *sender._inflight]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_sender_killed_between_send_and_mark_loses_nothing_and_repeats_a_message_once_at_most(
    db, now
):
    keys = queue(db, range(1, 21), now=now)
    clock = FrozenClock(now)
    telegram = DiesAfterAccepting(die_on=5)
    settings = replace(FAST, per_second=100, lease=LEASE)  # several rows claimed, waiting for slots
    first = Sender(db, telegram, clock=clock, policy=Policy(), settings=settings)
    await first.start()
    await asyncio.wait_for(telegram.dead.wait(), 10)
    await kill(first)
    before_kill = Counter(a.text for a in telegram.delivered)
    states = Counter(r.status for r in rows(db).values())
    assert states["sending"] >= 1 and states["sent"] + states["sending"] + states["pending"] == 20

    restarted = Sender(db, telegram, clock=clock, policy=Policy(), settings=settings)
    await restarted.drain()
    leased = {r.dedupe_key for r in rows(db).values() if r.status == "sending"}
    assert telegram.delivered[4].text in leased, "no resend while the dead sender's lease holds"

    clock.advance(timedelta(seconds=LEASE))  # the dead sender's lease runs out
    await restarted.drain()
    copies = Counter(a.text for a in telegram.delivered)
    assert set(copies) == set(keys), "nothing is lost"
    assert max(copies.values()) == 2, "a message arrives at most once more"
    repeated = {text for text, n in copies.items() if n == 2}
    assert telegram.delivered[4].text in repeated and repeated <= set(before_kill), (
        "only messages Telegram accepted before the crash are repeated"
    )
    assert all(r.status == "sent" for r in rows(db).values())


async def test_rows_claimed_by_a_killed_sender_but_not_sent_go_out_once_after_the_lease(db, now):
    keys = queue(db, range(1, 11), now=now)
    clock, telegram = FrozenClock(now), FakeTelegram()
    slow = replace(FAST, per_second=2, lease=LEASE)  # claims ten, sends one now and the rest later
    first = Sender(db, telegram, clock=clock, policy=Policy(), settings=slow)
    await first.start()
    sent = lambda: sum(r.status == "sent" for r in rows(db).values())  # noqa: E731
    await until(lambda: sent() == 1, what="the first send, marked sent")  # not killed mid-mark
    await kill(first)
    clock.advance(timedelta(seconds=LEASE))
    await Sender(db, telegram, clock=clock, policy=Policy(), settings=FAST).drain()
    assert sorted(a.text for a in telegram.delivered) == sorted(keys)


async def test_a_message_whose_senders_keep_dying_is_dead_lettered_not_retried_forever(db, now):
    queue(db, [31], now=now)
    clock, telegram = FrozenClock(now), FakeTelegram()
    settings = replace(FAST, max_attempts=3, lease=LEASE)
    for n in range(3):  # a sender claims it, and its process dies before any answer is recorded
        await db.run(
            claims.claim_due,
            owner=f"doomed-{n}",
            now=clock.now(),
            policy=Policy(),
            limit=1,
            lease=timedelta(seconds=LEASE),
            form_hold=timedelta(minutes=20),
            pacing=Pacing(wall=0.0, interval=0.0, chat_interval=0.0),
        )
        clock.advance(timedelta(seconds=LEASE))
    await Sender(db, telegram, clock=clock, policy=Policy(), settings=settings).drain()
    row = rows(db)["m-31-0"]
    assert row.status == "dead" and row.last_error == "claimed 4 times without an answer recorded"
    assert telegram.calls == []
