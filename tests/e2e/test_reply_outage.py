"""A reply survives a Bot API outage, on both transports: what the worker was answered while
Telegram failed (429 or 5xx past the reply's attempts) waits in the outbox and arrives once,
in order, when Telegram answers again; an edit whose message is gone arrives as a new message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.outbox import SenderSettings
from bot.replies import ReplySettings
from bot.telegram_api import Fault
from models.clock import FrozenClock
from models.outbox import OutboxMessage, OutboxStatus
from models.records import Record
from models.services.outbox.replies import REPLY
from tests.e2e.harness import TRANSPORTS, RunningBot, User, local_api, start_bot
from tests.integration.test_reports_support import USERS, city
from tests.support.outbox import until

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)

# Two quick attempts, so the outage outlasts them at once; a 429 of a second is not waited out.
QUICK = ReplySettings(attempts=2, backoff=0.01, flood_wait_max=0.5)
# The sender retries a 5xx after `backoff` seconds of the test's clock, which stands still until moved.
SENDER = SenderSettings(chat_interval=0.0, backoff=30.0, poll_interval=0.05)
EDIT_GONE = Fault(error_code=400, description="Bad Request: message to edit not found")
SENDS = ("sendmessage", "editmessagetext")


async def _do(running: RunningBot, key: int | str) -> None:
    await running.wait_handled(key)


async def _say(user: User, text: str) -> None:
    """Type without waiting for an answer (none may come during the outage)."""
    await _do(user.running, user.api.user_sends(user.user_id, text)["update_id"])


async def _press(user: User, label_part: str) -> None:
    """Press the newest button so labelled without waiting for its answer (lost in the outage)."""
    for message in reversed(user.api.transcript(user.user_id)):
        for label, data in message.buttons:
            if label_part in label and data:
                query = user.api.user_presses(user.user_id, message.message_id, data)
                await _do(user.running, query)
                return
    raise AssertionError(f"no button {label_part!r}")


def _answered(api, since: int) -> list[str]:
    """The texts Telegram took (sends and edits) since call number `since`, in order."""
    calls = api.calls[since:]
    return [c.params["text"] for c in calls if c.method.lower() in SENDS and c.error_code is None]


@pytest.mark.parametrize("fault", [Fault.server_error(502), Fault.flood(1)], ids=["5xx", "429"])
async def test_replies_held_up_by_an_outage_arrive_once_in_order_when_telegram_answers(
    db, db_url, keys, now, transport, fault
):
    city(db, keys, now)
    clock = FrozenClock(now)
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, clock, sender_settings=SENDER, reply_settings=QUICK)
        try:
            worker = User(api, running, USERS["W-1"])
            await worker.say("/my")
            await worker.press("P-MINE")
            for label in ("常规走访", "跳过", "跳过"):
                await worker.press(label)
            api.start_outage(fault)
            await _press(worker, "确认")  # the record is saved; `✅ 已保存` cannot be shown
            await _say(worker, "/whoami")
            await _say(worker, "/today")
            assert "已保存" not in worker.all_text()
            with db.unit_of_work() as s:
                assert s.scalar(select(func.count()).select_from(Record)) == 1
            since = len(api.calls)
            api.end_outage()
            await _say(worker, "/help")  # Telegram is back, but this answer must not overtake
            # the sender's retry time comes (30 s after its one failed try), within the 120 s lease of rows
            # it may claim meanwhile: a jump past the lease would let it claim a row in flight again
            clock.advance(timedelta(seconds=90))
            running.bot.wake_sender()
            await until(lambda: len(_answered(api, since)) >= 4, what="the four replies")
        finally:
            await running.stop()
    answered = _answered(api, since)
    assert len(answered) == 4, answered
    saved, whoami, today, help_ = answered
    assert "已保存" in saved and "身份" in whoami and "今日待办" in today and "可用命令" in help_
    assert worker.all_text().count("已保存") == 1
    with db.unit_of_work() as s:
        replies = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == REPLY)).all()
    assert len(replies) == 4 and {r.status for r in replies} == {OutboxStatus.sent}


async def test_a_reply_edit_whose_message_is_gone_arrives_as_a_new_message(db, db_url, now, transport):
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            user = User(api, running, 36)
            prompt = (await user.say("/lang"))[-1]
            api.inject_fault("editMessageText", EDIT_GONE)
            await user.press_data(prompt.message_id, "lang:zh_CN")
            await api.wait_for_messages(36, 2)
        finally:
            await running.stop()
    first, second = api.transcript(36)
    assert first.text == prompt.text and second.text == "已切换为中文。"
