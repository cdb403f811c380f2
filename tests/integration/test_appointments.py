"""约见: the week's meeting booked from the card in two taps, moved, re-placed and cancelled; each
press checked again (a past or forged slot, another worker, another area) and audited.

The clock is Wednesday 4 March 2026, 10:00 in Shanghai (tests/conftest.py: now).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from models.casework import Appointment
from models.clock import FrozenClock
from tests.integration.test_reports_support import audits, chat_as, city, tap
from tests.support.chat import CoreChat, build_core

FRIDAY_1430 = datetime(2026, 3, 6, 6, 30, tzinfo=UTC)
THURSDAY_0900 = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)


def _appointments(db) -> list[Appointment]:
    with db.unit_of_work() as s:
        rows = list(s.scalars(select(Appointment).order_by(Appointment.id)))
        s.expunge_all()
    return rows


def _labels(chat) -> list[str]:
    """The button labels of the last answer, in order."""
    return [b.text for action in chat.last for row in getattr(action, "buttons", ()) for b in row]


async def _book(db, now, person_id: int, slot: str = "周五 3/6 14:30", worker: str = "W-1"):
    chat = chat_as(db, FrozenClock(now), worker)
    await chat.press(f"p:{person_id}")
    await tap(chat, "📅 约见")
    await tap(chat, slot)
    return chat


async def test_a_worker_books_the_meeting_from_the_card_in_two_taps(db, keys, now):
    ids = city(db, keys, now)
    chat = await _book(db, now, ids["P-MINE"])
    [a] = _appointments(db)
    assert (a.person_id, a.starts_at, a.place, a.cancelled_at) == (ids["P-MINE"], FRIDAY_1430, "home", None)
    text = chat.texts()[-1]
    assert "已约见" in text and "3月6日 星期五 14:30" in text and "家中" in text
    assert {"📍 改地点", "🕘 改时间", "✖ 取消约见"} <= {b for b in _labels(chat)}
    assert [(e.record_type, e.record_id) for e in audits(db, "create") if e.record_type == "appointment"] == [
        ("appointment", a.id)
    ]


async def test_the_slots_are_the_next_seven_days_from_now_in_local_time(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.press(f"ap:{ids['P-MINE']}")
    labels = _labels(chat)
    assert labels[0] == "周三 3/4 10:30" and "周三 3/4 09:00" not in labels  # 09:00 has passed
    assert labels[-1] == "周二 3/10 16:00" and len(labels) == 7 * 4 - 1


async def test_a_past_slot_or_one_never_offered_is_refused(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    for stamp in ("202603040900", "202603041100", "202603200900", "2026030409xx", ""):
        await chat.press(f"as:{ids['P-MINE']}:{stamp}")
        assert "重新" in (chat.toast() or "")
    assert _appointments(db) == []


async def test_booking_again_moves_the_open_appointment(db, keys, now):
    ids = city(db, keys, now)
    await _book(db, now, ids["P-MINE"])
    chat = await _book(db, now, ids["P-MINE"], "周四 3/5 09:00")
    [a] = _appointments(db)
    assert a.starts_at == THURSDAY_0900 and "已改到新时间" in chat.texts()[-1]


async def test_the_place_can_be_changed_and_is_the_next_bookings_default(db, keys, now):
    ids = city(db, keys, now)
    chat = await _book(db, now, ids["P-MINE"])
    await tap(chat, "改地点")
    await tap(chat, "社区办公室")
    assert _appointments(db)[0].place == "office" and "社区办公室" in chat.texts()[-1]
    await tap(chat, "取消约见")
    await _book(db, now, ids["P-MINE"], "周四 3/5 09:00")
    assert [a.place for a in _appointments(db)] == ["office", "office"]


async def test_a_cancelled_meeting_is_kept_and_cannot_be_changed_again(db, keys, now):
    ids = city(db, keys, now)
    chat = await _book(db, now, ids["P-MINE"])
    appointment_id = _appointments(db)[0].id
    await tap(chat, "取消约见")
    assert _appointments(db)[0].cancelled_at == now and "已取消约见" in chat.texts()[-1]
    await chat.press(f"apc:{appointment_id}")
    assert "已取消" in (chat.toast() or "")
    await chat.press(f"apl:{appointment_id}:station")
    assert _appointments(db)[0].place == "home"


async def test_the_card_shows_the_next_meeting(db, keys, now):
    ids = city(db, keys, now)
    await _book(db, now, ids["P-MINE"])
    chat = chat_as(db, FrozenClock(now), "W-C")  # the cadre on the care team sees it too
    await chat.press(f"p:{ids['P-MINE']}")
    assert "📅 下次约见：3月6日 星期五 14:30 · 家中" in chat.texts()[-1]


async def test_a_worker_outside_the_care_team_or_the_area_may_not_book(db, keys, now):
    ids = city(db, keys, now)
    for worker in ("W-2", "W-X"):
        chat = chat_as(db, FrozenClock(now), worker)
        await chat.press(f"ap:{ids['P-MINE']}")
        assert chat.toast() == "您没有权限进行此操作。"
        await chat.press(f"as:{ids['P-MINE']}:202603061430")
        assert chat.toast() == "您没有权限进行此操作。"
    assert _appointments(db) == []
    assert [e.detail for e in audits(db, "refused")].count("book_appointment") >= 4


async def test_only_the_booking_worker_changes_or_cancels_it(db, keys, now):
    ids = city(db, keys, now)
    await _book(db, now, ids["P-MINE"])
    appointment_id = _appointments(db)[0].id
    for worker in ("W-C", "W-2", "W-S"):  # the cadre on the team, a colleague, a supervisor
        chat = chat_as(db, FrozenClock(now), worker)
        for data in (f"apc:{appointment_id}", f"apl:{appointment_id}", f"apl:{appointment_id}:other"):
            await chat.press(data)
            assert chat.toast() == "您没有权限进行此操作。", (worker, data)
    [a] = _appointments(db)
    assert a.cancelled_at is None and a.place == "home"


async def test_the_meeting_is_one_per_person_and_worker(db, keys, now):
    ids = city(db, keys, now)
    await _book(db, now, ids["P-MINE"])
    await _book(db, now, ids["P-MINE"], "周四 3/5 09:00", worker="W-C")  # the cadre books their own
    assert sorted(a.starts_at for a in _appointments(db)) == [THURSDAY_0900, FRIDAY_1430]


async def test_an_unlinked_account_may_not_book(db, keys, now):
    ids = city(db, keys, now)
    stranger = CoreChat(build_core(db, FrozenClock(now)), 999_001)
    for data in (f"ap:{ids['P-MINE']}", f"as:{ids['P-MINE']}:202603061430"):
        await stranger.press(data)
        assert stranger.toast() == "您没有权限进行此操作。" or "没有权限" in " ".join(stranger.texts())
    assert _appointments(db) == []
