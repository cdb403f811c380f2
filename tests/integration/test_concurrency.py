"""Two quick taps, even on two bot processes sharing the database, never corrupt a form."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.db import Database
from handlers.events import AnswerCallback
from models.audit import Actor
from models.clock import FrozenClock
from models.records import Record
from models.services.conversations import load_dialog
from models.services.directory.invites import invite_worker
from tests.factories import make_person, make_tree, make_worker
from tests.support.chat import CoreChat, build_core


async def test_the_same_button_pressed_on_two_processes_at_once_advances_the_form_once(db, db_url, keys, now):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        worker = make_worker(s, tree["G1"], code="W-1")
        make_person(s, tree["G1"], keys=keys, now=now, worker=worker, code="P-1")
    code = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now).code
    other_process = Database(db_url)  # its own connection pool, as a second bot process has
    try:
        clock = FrozenClock(now)
        first = CoreChat(build_core(db, clock), 501)
        second = CoreChat(build_core(other_process, clock), 501)
        await first.say(f"/start {code}")
        await first.say("/note")
        await first.press(first.button("P-1"))
        await first.say("走访正常")
        confirm = first.button("确认")
        results = await asyncio.gather(
            first.press(confirm, message_id=9), second.press(confirm, message_id=9)
        )
    finally:
        other_process.dispose()
    toasts = [next(a.text for a in actions if isinstance(a, AnswerCallback)) for actions in results]
    assert sorted(toasts, key=str) == sorted([None, "该按钮已失效。"], key=str)
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 1
    assert db.call(load_dialog, 501) is None


async def test_updates_of_one_chat_run_in_arrival_order_within_a_process(db, keys, now):
    chat = CoreChat(build_core(db, FrozenClock(now)), 777)
    replies = await asyncio.gather(*(chat.say(text) for text in ("/lang", "/help", "/whoami")))
    assert "语言" in replies[0][0].text and "/start" in replies[1][0].text
