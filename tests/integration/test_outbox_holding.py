"""Quiet hours and open forms hold what is not urgent: a reminder never interrupts a report; and
reminders are not sent on rest days (weekends, public holidays) unless urgent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.outbox import Sender
from models.clock import FrozenClock
from models.outgoing import Send
from models.policy import Policy
from models.services.conversations import clear_dialog, new_dialog, save_dialog
from models.services.outbox.claims import CAMPAIGN_DAY
from models.services.outbox.queue import enqueue
from tests.support.outbox import FAST, FakeTelegram, queue

SHANGHAI = ZoneInfo("Asia/Shanghai")
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


# -- rest days: reminders wait for the next working day's morning; alerts and others do not ------

EVE = datetime(2026, 9, 30, 14, 0, tzinfo=UTC)  # 22:00 on the eve of National Day
HOLIDAY = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 October


def _local(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=SHANGHAI).astimezone(UTC)


async def test_a_reminder_queued_on_the_eve_of_national_day_waits_for_the_first_working_morning(db):
    for purpose in ("morning", "overdue", "campaign", "case_end"):
        queue(db, [11], now=EVE, purpose=purpose, prefix=purpose)
    queue(db, [11], now=EVE, purpose="alert", urgent=True, prefix="positive-test")
    queue(db, [11], now=EVE, purpose="family_relay", prefix="relay")
    clock, telegram = FrozenClock(EVE), FakeTelegram()
    await drain(db, telegram, clock)
    assert telegram.texts(11) == ["positive-test-11-0"]  # urgent: through quiet hours
    clock.set(HOLIDAY)
    await drain(db, telegram, clock)
    assert telegram.texts(11)[1:] == ["relay-11-0"]  # the held reminders block nothing behind them
    for moment in (_local(date(2026, 10, 7), time(12)), _local(date(2026, 10, 8), time(7, 59))):
        clock.set(moment)
        await drain(db, telegram, clock)
    assert len(telegram.texts(11)) == 2
    clock.set(_local(date(2026, 10, 8), time(8)))  # Thursday 8 October, the first working morning
    await drain(db, telegram, clock)
    assert sorted(telegram.texts(11)[2:]) == [
        "campaign-11-0",
        "case_end-11-0",
        "morning-11-0",
        "overdue-11-0",
    ]


async def test_a_reminder_queued_for_a_holiday_waits_too(db):
    with db.unit_of_work() as session:
        enqueue(
            session,
            message=Send(12, "for-the-holiday"),
            purpose="morning",
            dedupe_key="for-the-holiday",
            now=EVE,
            available_at=HOLIDAY,
        )
    telegram = FakeTelegram()
    await drain(db, telegram, FrozenClock(HOLIDAY + timedelta(hours=1)))
    assert telegram.texts(12) == []
    await drain(db, telegram, FrozenClock(_local(date(2026, 10, 8), time(9))))
    assert telegram.texts(12) == ["for-the-holiday"]


async def test_a_campaign_days_own_reminder_goes_out_on_a_holiday_its_lead_reminder_does_not(db):
    queue(db, [13], now=HOLIDAY, purpose=CAMPAIGN_DAY, prefix="today")
    queue(db, [14], now=HOLIDAY, purpose="campaign", prefix="in-a-week")
    telegram = FakeTelegram()
    await drain(db, telegram, FrozenClock(HOLIDAY))
    assert telegram.texts(13) == ["today-13-0"] and telegram.texts(14) == []


async def test_reminders_go_out_on_a_swapped_working_saturday_not_on_the_sunday_after(db):
    saturday = _local(date(2026, 10, 10), time(9))  # 调休: worked for the National Day holidays
    queue(db, [15], now=saturday, purpose="morning", prefix="saturday")
    telegram = FakeTelegram()
    await drain(db, telegram, FrozenClock(saturday))
    assert telegram.texts(15) == ["saturday-15-0"]
    sunday = _local(date(2026, 10, 11), time(9))
    queue(db, [16], now=sunday, purpose="overdue", prefix="sunday")
    await drain(db, telegram, FrozenClock(sunday))
    assert telegram.texts(16) == []
    await drain(db, telegram, FrozenClock(_local(date(2026, 10, 12), time(8))))
    assert telegram.texts(16) == ["sunday-16-0"]
