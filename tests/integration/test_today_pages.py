"""/today's long list: a page at a time, the rest one button away (not "send /today" again)."""

from __future__ import annotations

from datetime import date, time

from bot.db import Database
from handlers.events import Edit
from models.clock import FrozenClock
from models.services.reminders.due_lists import PAGE_LINES
from tests.integration.reminders_city import City, at, build_city
from tests.support.chat import CoreChat, build_core

NOW = at(date(2026, 3, 4), time(10))  # a Wednesday


def _busy_city(db: Database) -> City:
    city = build_city(db)
    for _ in range(20):  # a few items each: well over one page
        city.person(created=at(date(2026, 2, 1)))
    return city


def _people_data(chat: CoreChat) -> list[str]:
    """The items a page offers (one `why:` button each), as the card of their person."""
    return [
        "p:" + b.data.split(":")[1]
        for a in chat.last
        for row in getattr(a, "buttons", ())
        for b in row
        if b.data.startswith("why:")
    ]


async def test_the_rest_of_a_long_today_list_is_one_button_away(db: Database) -> None:
    city = _busy_city(db)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), city.worker.telegram_user_id)
    await chat.say("/today")
    [first] = chat.texts()
    assert "未列出" in first and "/today" not in first.split("未列出")[1]
    shown = _people_data(chat)
    assert len(shown) == PAGE_LINES
    await chat.press(chat.button("查看其余"), message_id=7)
    [page] = [a for a in chat.last if isinstance(a, Edit)]
    assert page.message_id == 7  # the same message, now showing the rest
    second = _people_data(chat)
    assert second and "共" in page.text
    rest = set(second)
    for _ in range(20):  # on to the last page
        if not any("查看其余" in b.text for a in chat.last for row in getattr(a, "buttons", ()) for b in row):
            break
        await chat.press(chat.button("查看其余"), message_id=7)
        rest |= set(_people_data(chat))
    everyone = {f"p:{p.id}" for p in city.people}
    assert set(shown) | rest == everyone  # every person's items are on one page or another
    await chat.press(f"td:{1}", message_id=7)
    await chat.press(chat.button("上一页"), message_id=7)
    assert _people_data(chat) == shown


async def test_no_page_of_a_long_today_list_carries_more_than_twelve_buttons(db: Database) -> None:
    city = _busy_city(db)
    chat = CoreChat(build_core(db, FrozenClock(NOW)), city.worker.telegram_user_id)
    for _ in range(3):  # drafts too: their buttons count
        await chat.say("/note")
        await chat.press(chat.button(city.people[_].code))
        await chat.say("草稿")
    await chat.say("/today")
    counts = []
    for page in range(6):
        await chat.press(f"td:{page}", message_id=7)
        counts.append(sum(len(row) for a in chat.last for row in getattr(a, "buttons", ())))
    assert max(counts) <= 12 and "未完成的草稿</b>（3）" in chat.texts()[-1]


async def test_a_short_today_list_has_no_page_buttons(db: Database) -> None:
    city = build_city(db)
    city.person(created=at(date(2026, 2, 1)))
    chat = CoreChat(build_core(db, FrozenClock(NOW)), city.worker.telegram_user_id)
    await chat.say("/today")
    data = [b.data for a in chat.last for row in getattr(a, "buttons", ()) for b in row]
    assert not any(d.startswith("td:") for d in data) and "未列出" not in chat.texts()[0]
