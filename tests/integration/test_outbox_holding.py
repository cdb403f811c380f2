"""Quiet hours and open forms hold what is not urgent: a reminder never interrupts a report."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.outbox import Sender
from models.clock import FrozenClock
from models.policy import Policy
from models.services.conversations import clear_dialog, new_dialog, save_dialog
from tests.support.outbox import FAST, FakeTelegram, queue

NIGHT = datetime(2026, 3, 4, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
MORNING = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


async def drain(db, telegram, clock, policy=None):
    await Sender(db, telegram, clock=clock, policy=policy or Policy(), settings=FAST).drain()


async def test_quiet_hours_hold_a_reminder_until_morning_but_not_an_urgent_alert(db):
    queue(db, [1], now=NIGHT, prefix="reminder")
    queue(db, [1], now=NIGHT, prefix="alert", urgent=True)
    clock, telegram = FrozenClock(NIGHT), FakeTelegram()
    await drain(db, telegram, clock)
    assert telegram.texts(1) == ["alert-1-0"]
    clock.set(MORNING - timedelta(seconds=1))
    await drain(db, telegram, clock)
    assert telegram.texts(1) == ["alert-1-0"]
    clock.set(MORNING)
    await drain(db, telegram, clock)
    assert telegram.texts(1) == ["alert-1-0", "reminder-1-0"]


async def test_quiet_hours_come_from_the_policy(db):
    queue(db, [2], now=NIGHT)
    telegram = FakeTelegram()
    late_owls = Policy(quiet_from=time(23, 0), quiet_until=time(7, 0))
    await drain(db, telegram, FrozenClock(NIGHT), late_owls)
    assert telegram.texts(2) == ["m-2-0"]


async def test_a_reminder_waits_while_the_chat_fills_in_a_form_and_goes_when_it_ends(db, now):
    db.call(save_dialog, new_dialog(3, "visit", "notes", {}, now=now), now=now)
    queue(db, [3], now=now)
    clock, telegram = FrozenClock(now), FakeTelegram()
    await drain(db, telegram, clock)
    assert telegram.texts(3) == []
    db.call(clear_dialog, 3)
    await drain(db, telegram, clock)
    assert telegram.texts(3) == ["m-3-0"]


async def test_an_urgent_alert_interrupts_a_form_and_the_held_reminder_does_not_block_it(db, now):
    db.call(save_dialog, new_dialog(4, "visit", "notes", {}, now=now), now=now)
    queue(db, [4], now=now, prefix="reminder")
    queue(db, [4], now=now, prefix="alert", urgent=True)
    telegram = FakeTelegram()
    await drain(db, telegram, FrozenClock(now))
    assert telegram.texts(4) == ["alert-4-0"]


async def test_a_form_abandoned_long_ago_no_longer_holds_reminders(db, now):
    old = now - timedelta(hours=3)
    db.call(save_dialog, new_dialog(6, "visit", "notes", {}, now=old), now=old)
    queue(db, [6], now=now)
    telegram = FakeTelegram()
    await drain(db, telegram, FrozenClock(now))
    assert telegram.texts(6) == ["m-6-0"]
