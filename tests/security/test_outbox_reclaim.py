"""Issue 17.13: after a crash a chat's outgoing queue goes on at once, not after the dead sender's lease.

A sender claims rows for `lease` seconds (120 by default) and sends one row at a time per chat; if
it dies, its rows stayed `sending` and their chats waited the whole lease, urgent alerts too. Now
the sending leader takes them back at once where it knows their sender is gone: on SQLite at start
(one process serves a SQLite file, and `gridcare run` refuses a second: 17.15), on PostgreSQL when
the sender's presence lock is free (its process, or its connection, has ended). A sender that is
alive keeps its rows, whether it leads or only finishes its sends while stopping, and a standby
takes nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.db import Database
from bot.leadership import Leadership
from bot.outbox import SEND_LOCK, Sender, SenderSettings
from bot.telegram_api import Fault, LocalBotApi
from models.clock import FrozenClock, SystemClock
from models.outbox import OutboxMessage, OutboxStatus
from models.policy import Policy
from tests.e2e.harness import TOKEN
from tests.support.outbox import FAST, FakeTelegram, queue, rows, until

ROOT = Path(__file__).resolve().parents[2]
LEASE = 120  # the default lease, as after a real crash
ALWAYS = Policy(quiet_from=clock_time(0), quiet_until=clock_time(0))  # no quiet hours: any time of day


async def test_alerts_a_killed_sender_left_claimed_go_at_once_not_after_its_lease(db, db_url):
    start = SystemClock().now()  # the processes run on the real clock: the rows are due for them
    keys = queue(db, range(800, 806), now=start, purpose="urgent_alert", urgent=True)
    api = LocalBotApi(tokens=[TOKEN], flood_limits=None)
    await api.start()
    api.start_outage(Fault.slow(60), method="sendMessage")  # the sender hangs in its sends
    command = [sys.executable, "-m", "tests.support.sender_process", db_url, api.base_url, "aiogram"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost"}
    victim = subprocess.Popen([*command, str(LEASE)], cwd=ROOT, env=env)
    telegram = FakeTelegram()  # the next process's Telegram: the hung sends never reach it
    restarted = Sender(db, telegram, clock=SystemClock(), policy=ALWAYS, settings=SenderSettings())
    try:
        await until(
            lambda: Counter(r.status for r in rows(db).values())["sending"] == len(keys),
            timeout=60,
            what="every alert claimed and in flight",
        )
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        restarted_at = time.monotonic()
        await restarted.start()
        await until(lambda: all(r.status == "sent" for r in rows(db).values()), timeout=20, what="all sent")
        waited = time.monotonic() - restarted_at
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()
        await restarted.stop()
        await api.stop()
    assert waited < LEASE / 6, f"the alerts waited {waited:.1f} s"
    assert Counter(a.text for a in telegram.delivered) == Counter(keys), "each alert once"


def _left_claimed(db: Database, key: str, owner: str, now: datetime) -> None:
    """The row as a sender leaves it when it dies mid-send: claimed, its lease still running."""
    with db.unit_of_work() as s:
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == key)
            .values(
                status=OutboxStatus.sending,
                claimed_by=owner,
                locked_until=now + timedelta(seconds=LEASE),
                attempts=1,
            )
        )


async def test_the_leader_takes_back_only_the_rows_of_senders_that_are_gone(db, db_url, now):
    if db_url.startswith("sqlite"):
        pytest.skip("several sender processes share a PostgreSQL database; SQLite serves one")
    queue(db, [901, 902], now=now, purpose="urgent_alert", urgent=True)
    _left_claimed(db, "m-901-0", "alive-1-aaaa", now)
    _left_claimed(db, "m-902-0", "killed-2-bbbb", now)
    other = Database(db_url)
    alive = Leadership(other, SEND_LOCK, "sender", member="alive-1-aaaa")  # another bot process
    every_time = replace(FAST, leader_check=0.0)  # each `_leading()` below is one leadership check
    sender = Sender(db, FakeTelegram(), clock=FrozenClock(now), policy=Policy(), settings=every_time)

    def statuses() -> dict[str, str]:
        return {key: row.status for key, row in rows(db).items()}

    try:
        assert alive.check(), "the other process leads"
        assert not await sender._leading()
        assert statuses() == {"m-901-0": "sending", "m-902-0": "sending"}, "a standby takes nothing"
        alive.step_down()  # stopping: it no longer leads, but its sends may still be on their way
        assert await sender._leading()
        assert statuses() == {"m-901-0": "sending", "m-902-0": "pending"}, "only the dead one's row"
        alive.release()  # that process has ended
        assert await sender._leading()
        assert statuses() == {"m-901-0": "pending", "m-902-0": "pending"}
    finally:
        alive.release()
        await sender.stop()
        other.dispose()
    telegram = FakeTelegram()
    await Sender(db, telegram, clock=FrozenClock(now), policy=Policy(), settings=FAST).drain()
    assert sorted(a.chat_id for a in telegram.delivered) == [901, 902], "both go now, the clock unmoved"
