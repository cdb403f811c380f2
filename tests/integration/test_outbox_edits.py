"""An edit row changes the message an earlier row sent (the morning list, ticked off in place)."""

from __future__ import annotations

from sqlalchemy import update

from bot.outbox import Sender
from handlers.events import BadRequest, Button, Edit, Send
from models.clock import FrozenClock
from models.outbox import OutboxMessage
from models.outgoing import keyboard
from models.policy import Policy
from models.services.outbox.queue import enqueue
from tests.support.outbox import FAST, FakeTelegram, rows


def put(db, now, key, text, buttons=(), *, edit_of=None, chat_id=5):
    """Queue a text message, or with `edit_of` a new text for the message of that key."""
    message = Send(chat_id, text, keyboard(buttons))
    with db.unit_of_work() as s:
        enqueue(s, message=message, edit_of=edit_of, purpose="reminder", dedupe_key=key, now=now)


async def drain(db, telegram, now):
    await Sender(db, telegram, clock=FrozenClock(now), policy=Policy(), settings=FAST).drain()


async def test_an_edit_of_a_sent_message_edits_that_message(db, now):
    telegram = FakeTelegram()
    put(db, now, "list", "2 due", [[("Visit", "v:1")]])
    await drain(db, telegram, now)
    put(db, now, "list:1", "1 due ✓", [[("Visit", "v:2")]], edit_of="list")
    await drain(db, telegram, now)
    first = telegram.delivered[0]
    assert telegram.delivered[1] == Edit(
        5, rows(db)["list"].message_id, "1 due ✓", ((Button("Visit", "v:2"),),)
    )
    assert isinstance(first, Send) and rows(db)["list:1"].status == "sent"


async def test_an_edit_of_a_message_not_yet_sent_is_folded_into_it(db, now):
    telegram = FakeTelegram()
    put(db, now, "list", "2 due")
    put(db, now, "list:1", "1 due", edit_of="list")
    put(db, now, "list:2", "all done", edit_of="list")
    with db.unit_of_work() as s:  # the list itself waits (say, for a retry) while the edits come
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == "list")
            .values(available_at=now.replace(year=2027))
        )
    await drain(db, telegram, now)
    assert telegram.delivered == []
    assert rows(db)["list"].payload["text"] == "all done"
    assert rows(db)["list:2"].status == "sent" and rows(db)["list:2"].last_error.startswith("folded into")


async def test_an_edit_queued_right_after_its_message_is_sent_as_one_message(db, now):
    telegram = FakeTelegram()
    put(db, now, "list", "2 due")
    put(db, now, "list:1", "1 due", edit_of="list")
    await drain(db, telegram, now)
    sent, edit = telegram.delivered
    assert sent.text == "2 due" and isinstance(edit, Edit) and edit.text == "1 due"


async def test_an_edit_telegram_finds_unchanged_counts_as_done(db, now):
    telegram = FakeTelegram()
    put(db, now, "list", "2 due")
    await drain(db, telegram, now)
    telegram.fail_next(BadRequest("Bad Request: message is not modified: specified new message content"))
    put(db, now, "list:1", "2 due", edit_of="list")
    await drain(db, telegram, now)
    assert rows(db)["list:1"].status == "sent" and rows(db)["list:1"].last_error is None


async def test_an_edit_of_a_message_that_never_went_out_is_dead_with_the_reason(db, now):
    telegram = FakeTelegram()
    put(db, now, "orphan", "x", edit_of="nothing-with-this-key")
    await drain(db, telegram, now)
    row = rows(db)["orphan"]
    assert row.status == "dead" and row.last_error == "edit: the message to edit was never sent"
    assert telegram.calls == []
