"""/my: the caseload, most urgent first, paged, searchable by name, pinyin initials or code; /history."""

from __future__ import annotations

from sqlalchemy import select

from models.areas import Area
from models.clock import FrozenClock
from models.people import Colour, Person, Worker
from models.services.directory.entries import pinyin_initials
from tests.factories import make_person
from tests.integration.test_reports_support import chat_as, city, tap

NAMES = ("张三", "李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十", "郑十一", "冯十二")


def _many(db, keys, now) -> None:
    """Ten more people for W-1, with real-looking names; 张三 red, 李四 orange."""
    with db.unit_of_work() as s:
        grid = s.scalar(select(Area).where(Area.code == "T-G1"))
        w1 = s.scalar(select(Worker).where(Worker.code == "W-1"))
        for n, name in enumerate(NAMES):
            colour = Colour.red if n == 0 else Colour.orange if n == 1 else Colour.blue
            person = make_person(s, grid, keys=keys, now=now, worker=w1, code=f"Q-{n:02d}", colour=colour)
            person.name, person.initials = name, pinyin_initials(name)


def _lines(chat) -> list[str]:
    return [b.text for row in chat.last[-1].buttons for b in row if b.data.startswith("p:")]


async def test_my_caseload_is_paged_with_buttons_most_urgent_first(db, keys, now):
    city(db, keys, now)
    _many(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.say("/my")
    assert "11 人" in chat.texts()[0] and "第 1/2 页" in chat.texts()[0]
    first = _lines(chat)
    assert len(first) == 8 and "张三" in first[0] and "李四" in first[1]
    await tap(chat, "下一页")
    edit = chat.last[-1]
    assert edit.message_id == 1 and "第 2/2 页" in edit.text
    assert len(_lines(chat)) == 3 and "上一页" in str(edit.buttons)


async def test_search_by_chinese_name_pinyin_initials_or_code(db, keys, now):
    city(db, keys, now)
    _many(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    for term, expected in (("张", "张三"), ("ls", "李四"), ("q-09", "冯十二"), ("P-MI", "P-MINE")):
        await chat.say(f"/my {term}")
        found = _lines(chat)
        assert len(found) == 1 and expected in found[0], term
    await chat.say("/my 没有")
    assert "没有找到" in chat.texts()[0]


async def test_typing_a_name_outside_a_form_searches_the_caseload(db, keys, now):
    city(db, keys, now)
    _many(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.say("王五")
    assert len(_lines(chat)) == 1 and "王五" in _lines(chat)[0]


async def test_paging_buttons_fit_telegrams_64_bytes_with_a_long_search(db, keys, now):
    city(db, keys, now)
    _many(db, keys, now)
    with db.unit_of_work() as s:
        for person in s.scalars(select(Person).where(Person.code.like("Q-%"))):
            person.name = "欧阳" + person.name
    chat = chat_as(db, FrozenClock(now), "W-1")
    await chat.say("/my 欧阳" + "很长的名字" * 5)
    await chat.say("/my 欧阳")
    data = chat.button("下一页")
    assert len(data.encode()) <= 64
    await chat.press(data)
    assert "第 2/2 页" in chat.last[-1].text


async def test_supervisor_searches_the_jurisdiction_and_only_it(db, keys, now):
    city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-S")
    await chat.say("/my")
    assert "督导没有个人的帮教对象" in chat.texts()[0]
    await chat.say("/my P-")
    found = _lines(chat)
    assert any("P-MINE" in f for f in found) and not any("P-FAR" in f for f in found)


async def test_history_is_paged_newest_first(db, keys, now):
    ids = city(db, keys, now)
    chat = chat_as(db, FrozenClock(now), "W-1")
    for n in range(7):
        await chat.press(f"r:note:{ids['P-MINE']}")
        await chat.say(f"记录{n}")
        await tap(chat, "确认")
    await chat.say("/history")
    assert "/history P-MINE" in chat.texts()[0]  # a code that exists: the caller's own person
    await chat.say("/history P-MINE")
    page = chat.texts()[0]
    assert "共 7 条" in page and "第 1/2 页" in page and "记录6" in page and "记录1" not in page
    await tap(chat, "下一页")
    assert "记录1" in chat.last[-1].text and "记录0" in chat.last[-1].text
