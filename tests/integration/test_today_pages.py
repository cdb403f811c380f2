"""/today's long list: a page at a time, the rest one button away (not "send /today" again)."""

from __future__ import annotations

from datetime import date, time

from bot.db import Database
from handlers.events import Edit
from handlers.reminders_views import MAX_LINES
from models.clock import FrozenClock
from tests.integration.reminders_city import City, at, build_city
from tests.support.chat import CoreChat, build_core

NOW = at(date(2026, 3, 4), time(10))  # a Wednesday


def _busy_city(db: Database) -> City:
    city = build_city(db)
    for _ in range(20):  # a few items each: well over one page
        city.person(created=at(date(2026, 2, 1)))
    return city


def _people_data(chat: CoreChat) -> list[str]:
    return [
        b.data for a in chat.last for row in getattr(a, "buttons", ()) for b in row if b.data.startswith("p:")
    ]


async def test_the_rest_of_a_long_today_list_is_one_button_away(db: Database) -> None:
    city = _busy_city(db)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), city.worker.telegram_user_id)
    await chat.say("/today")
    [first] = chat.texts()
    assert "未列出" in first and "/today" not in first.split("未列出")[1]
    shown = _people_data(chat)
    assert len(shown) == MAX_LINES
    await chat.press(chat.button("查看其余"), message_id=7)
    [page] = [a for a in chat.last if isinstance(a, Edit)]
    assert page.message_id == 7  # the same message, now showing the rest
    rest = _people_data(chat)
    assert rest and "共" in page.text
    everyone = {f"p:{p.id}" for p in city.people}
    assert set(shown) | set(rest) == everyone  # every person's items are on one page or the other
    await chat.press(chat.button("上一页"), message_id=7)
    assert _people_data(chat) == shown


async def test_a_short_today_list_has_no_page_buttons(db: Database) -> None:
    city = build_city(db)
    city.person(created=at(date(2026, 2, 1)))
    chat = CoreChat(build_core(db, FrozenClock(NOW)), city.worker.telegram_user_id)
    await chat.say("/today")
    data = [b.data for a in chat.last for row in getattr(a, "buttons", ()) for b in row]
    assert not any(d.startswith("td:") for d in data) and "未列出" not in chat.texts()[0]
