"""Both transports meet Telegram's errors the same way: wait out 429, retry 5xx, drop 403 and
"message is not modified" without failing the update."""

from __future__ import annotations

import pytest

from bot.telegram_api import Fault
from models.clock import FrozenClock
from tests.e2e.harness import TRANSPORTS, User, local_api, start_bot

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


async def test_a_flood_429_is_waited_out_and_the_reply_still_arrives(db, db_url, now, transport):
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            api.inject_fault("sendMessage", Fault.flood(1))
            await User(api, running, 31).say("/help")
        finally:
            await running.stop()
    assert api.count_429 == 1
    assert len(api.transcript(31)) == 1 and "/start" in api.transcript(31)[0].text


async def test_a_server_error_is_retried(db, db_url, now, transport):
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            api.inject_fault("sendMessage", Fault.server_error(502))
            await User(api, running, 32).say("/help")
        finally:
            await running.stop()
    assert len(api.transcript(32)) == 1


async def test_a_blocked_chat_does_not_stop_the_bot_serving_others(db, db_url, now, transport):
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            api.block(33, notify=False)
            await User(api, running, 33).say("/help")
            await User(api, running, 34).say("/help")
        finally:
            await running.stop()
    assert api.transcript(33) == [] and len(api.transcript(34)) == 1


async def test_an_edit_to_the_same_text_is_harmless(db, db_url, now, transport):
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            user = User(api, running, 35)
            prompt = (await user.say("/lang"))[-1]
            await user.press_data(prompt.message_id, "lang:zh_CN")
            await user.press_data(
                prompt.message_id, "lang:zh_CN"
            )  # edits to identical text: 400 not modified
            await user.say("/help")
        finally:
            await running.stop()
    texts = [m.text for m in api.transcript(35)]
    assert texts[0] == "已切换为中文。" and "/start" in texts[-1]
