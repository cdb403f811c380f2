"""The local Bot API server's deleteMessages, driven by the real aiogram and PTB clients over HTTP."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import telegram
import telegram.error
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest

from bot.telegram_api import LocalBotApi

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

TOKEN = "123456:TEST-token"
CHAT = 42


class Wall:
    """The server's wall clock (message dates), moved by the test."""

    def __init__(self) -> None:
        self.at = 1_800_000_000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
async def api(wall: Wall) -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(tokens=[TOKEN], flood_limits=None, now=wall) as server:
        yield server


@pytest.fixture
async def aiobot(api: LocalBotApi) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
    yield bot
    await bot.session.close()


@pytest.fixture
async def ptbbot(api: LocalBotApi) -> AsyncIterator[telegram.Bot]:
    bot = telegram.Bot(TOKEN, base_url=f"{api.base_url}/bot", base_file_url=f"{api.base_url}/file/bot")
    async with bot:
        yield bot


async def test_aiogram_deletes_the_bots_messages_and_skips_the_users_and_unknown_ids(
    api: LocalBotApi, aiobot: Bot
) -> None:
    first = await aiobot.send_message(CHAT, "one")
    api.user_sends(CHAT, "mine")
    second = await aiobot.send_message(CHAT, "two")
    kept = await aiobot.send_message(CHAT, "three")
    assert await aiobot.delete_messages(CHAT, [first.message_id, 2, second.message_id, 9999])
    assert [m.text for m in api.transcript(CHAT)] == ["three"]
    assert [m.text for m in api.transcript(CHAT, include_user=True)] == ["mine", "three"]
    assert await aiobot.delete_messages(CHAT, [first.message_id])  # already gone: skipped quietly
    assert api.transcript(CHAT)[0].message_id == kept.message_id


async def test_ptb_is_held_to_100_ids_and_to_telegrams_48_hours(
    api: LocalBotApi, ptbbot: telegram.Bot, wall: Wall
) -> None:
    old = await ptbbot.send_message(CHAT, "old")
    wall.at += 48 * 3600 + 1
    young = await ptbbot.send_message(CHAT, "young")
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)too many message identifiers"):
        await ptbbot.delete_messages(CHAT, list(range(1, 102)))
    assert len(api.transcript(CHAT)) == 2
    assert await ptbbot.delete_messages(CHAT, [old.message_id, young.message_id])
    assert [m.text for m in api.transcript(CHAT)] == ["old"]  # too old to delete


async def test_an_empty_list_is_refused(aiobot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match=r"(?i)message_ids is empty"):
        await aiobot.delete_messages(CHAT, [])
