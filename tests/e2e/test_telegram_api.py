"""The local Bot API server, driven by the real aiogram and python-telegram-bot clients over HTTP."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import telegram
import telegram.error
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiohttp import web
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.telegram_api import Fault, FloodLimits, LocalBotApi
from bot.telegram_api.state import Webhook

os.environ.setdefault("PTB_TIMEDELTA", "true")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

TOKEN = "123456:TEST-token"
CHAT = 42
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03" + bytes(range(40))


class LoopbackSession(AiohttpSession):
    """aiogram's session without its 250 ms pause on close, which only matters for TLS connections."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def aiogram_bot(base_url: str) -> Bot:
    """The real aiogram Bot, pointed at the local server."""
    return Bot(TOKEN, session=LoopbackSession(api=TelegramAPIServer.from_base(base_url)))


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    """An aiogram inline keyboard with one button per (label, data) pair, one row."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d) for t, d in pairs]]
    )


def ptb_keyboard(*pairs: tuple[str, str]) -> telegram.InlineKeyboardMarkup:
    """The same keyboard for python-telegram-bot."""
    return telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton(t, callback_data=d) for t, d in pairs]]
    )


class FrozenClock:
    """The flood-control clock, moved by the test instead of by waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def api(clock: FrozenClock) -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(tokens=[TOKEN], clock=clock) as server:
        yield server


@pytest.fixture
async def aiobot(api: LocalBotApi) -> AsyncIterator[Bot]:
    bot = aiogram_bot(api.base_url)
    yield bot
    await bot.session.close()


@pytest.fixture
async def ptbbot(api: LocalBotApi) -> AsyncIterator[telegram.Bot]:
    bot = telegram.Bot(TOKEN, base_url=f"{api.base_url}/bot", base_file_url=f"{api.base_url}/file/bot")
    async with bot:
        yield bot


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def wait_for_poller(api: LocalBotApi, polls: int = 1) -> None:
    """Wait until a getUpdates long poll is parked on the server."""
    await api.wait_until(lambda: api.bot().poll_generation >= polls, what="a waiting getUpdates")


# -- identity and the envelope ------------------------------------------------------------------


async def test_get_me_answers_the_bot_of_the_token(aiobot: Bot, ptbbot: telegram.Bot) -> None:
    aio_me = await aiobot.get_me()
    assert (aio_me.id, aio_me.is_bot, aiobot.id) == (123456, True, 123456)
    assert ptbbot.bot.id == 123456 and ptbbot.username == aio_me.username


async def test_unknown_method_is_404_and_method_names_ignore_case(api: LocalBotApi, http: Any) -> None:
    async with http.post(f"{api.base_url}/bot{TOKEN}/noSuchMethod") as response:
        assert response.status == 404
        assert await response.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
    async with http.get(f"{api.base_url}/bot{TOKEN}/GETME") as response:
        assert (await response.json())["result"]["id"] == 123456


async def test_unknown_token_is_unauthorized_when_tokens_are_given(api: LocalBotApi, http: Any) -> None:
    async with http.post(f"{api.base_url}/bot999:other/getMe") as response:
        assert response.status == 401
        assert (await response.json())["description"] == "Unauthorized"


async def test_json_body_and_query_string_are_both_read(api: LocalBotApi, http: Any) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    url = f"{api.base_url}/bot{TOKEN}/sendMessage?chat_id={CHAT}"
    async with http.post(
        url, json={"text": "<i>hi</i>", "parse_mode": "HTML", "reply_markup": markup}
    ) as response:
        result = (await response.json())["result"]
    assert result["text"] == "hi" and result["entities"] == [{"type": "italic", "offset": 0, "length": 2}]
    assert api.calls_to("sendmessage")[0].params["reply_markup"] == markup
    assert api.transcript(CHAT)[0].buttons == [("A", "a")]


async def test_any_well_formed_token_is_served_when_none_are_given(http: Any) -> None:
    async with LocalBotApi() as server:
        for token in ("111:a", "222:b"):
            async with http.post(f"{server.base_url}/bot{token}/getMe") as response:
                assert (await response.json())["result"]["id"] == int(token.split(":")[0])
        assert sorted(server.world.bots) == [111, 222]


# -- sending and editing ------------------------------------------------------------------------


async def test_aiogram_sends_and_edits_a_message_with_a_keyboard(api: LocalBotApi, aiobot: Bot) -> None:
    sent = await aiobot.send_message(
        CHAT, "Pick <b>one</b>", parse_mode="HTML", reply_markup=keyboard(("A", "pick:a"))
    )
    edited = await aiobot.edit_message_text("Picked A", chat_id=CHAT, message_id=sent.message_id)
    assert sent.reply_markup is not None and edited.reply_markup is None
    [message] = api.transcript(CHAT)
    assert (message.text, message.edit_count, message.buttons) == ("Picked A", 1, [])


async def test_ptb_sends_and_edits_a_message_with_a_keyboard(api: LocalBotApi, ptbbot: telegram.Bot) -> None:
    sent = await ptbbot.send_message(CHAT, "Pick", reply_markup=ptb_keyboard(("A", "a"), ("B", "b")))
    await ptbbot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=ptb_keyboard(("C", "c")))
    assert api.transcript(CHAT)[0].buttons == [("C", "c")]
    await ptbbot.edit_message_reply_markup(CHAT, sent.message_id)
    assert api.transcript(CHAT)[0].buttons == []


async def test_edits_that_change_nothing_or_miss_the_message_are_refused(aiobot: Bot) -> None:
    sent = await aiobot.send_message(CHAT, "Same", reply_markup=keyboard(("A", "a")))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await aiobot.edit_message_text(
            "Same", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard(("A", "a"))
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await aiobot.edit_message_text("Other", chat_id=CHAT, message_id=999)


async def test_deleted_messages_leave_the_transcript(api: LocalBotApi, ptbbot: telegram.Bot) -> None:
    sent = await ptbbot.send_message(CHAT, "Soon gone")
    assert await ptbbot.delete_message(CHAT, sent.message_id)
    assert api.transcript(CHAT) == [] and api.transcript(CHAT, include_deleted=True)[0].deleted
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)message to delete not found"):
        await ptbbot.delete_message(CHAT, sent.message_id)


async def test_photo_and_document_bytes_round_trip(
    api: LocalBotApi, aiobot: Bot, ptbbot: telegram.Bot
) -> None:
    aio_photo = await aiobot.send_photo(CHAT, BufferedInputFile(PNG, "p.png"), caption="aiogram")
    await ptbbot.send_photo(CHAT, PNG, caption="ptb")
    await aiobot.send_document(CHAT + 1, BufferedInputFile(b"%PDF-1.4 a", "a.pdf"))
    await ptbbot.send_document(CHAT + 1, telegram.InputFile(b"col1,col2\n", filename="b.csv"))
    photo_a, photo_b = api.transcript(CHAT)
    doc_a, doc_b = api.transcript(CHAT + 1)
    assert (
        photo_a.photo is not None
        and photo_b.photo is not None
        and photo_a.photo.data == photo_b.photo.data == PNG
    )
    assert (aio_photo.photo[0].width, aio_photo.photo[0].height, photo_b.caption) == (2, 3, "ptb")
    assert doc_a.document is not None and doc_a.document.data == b"%PDF-1.4 a"
    assert doc_b.document is not None and (doc_b.document.filename, doc_b.document.data) == (
        "b.csv",
        b"col1,col2\n",
    )
    assert await (await ptbbot.get_file(photo_a.photo.file_id)).download_as_bytearray() == bytearray(PNG)


async def test_contact_and_chat_action_and_get_chat(
    api: LocalBotApi, aiobot: Bot, ptbbot: telegram.Bot
) -> None:
    api.add_user(CHAT, "Mei", username="mei")
    await aiobot.send_chat_action(CHAT, "typing")
    await ptbbot.send_contact(CHAT, phone_number="+8613800000000", first_name="Li")
    chat = await aiobot.get_chat(CHAT)
    assert (chat.type, chat.first_name, chat.username) == ("private", "Mei", "mei")
    assert (await ptbbot.get_chat(CHAT)).first_name == "Mei"
    assert api.transcript(CHAT)[0].contact == {"phone_number": "+8613800000000", "first_name": "Li"}


# -- Telegram's limits --------------------------------------------------------------------------


async def test_text_limit_counts_utf16_after_html_parsing(aiobot: Bot, ptbbot: telegram.Bot) -> None:
    await aiobot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await aiobot.send_message(CHAT, "😀" * 2049)
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)message is too long"):
        await ptbbot.send_message(CHAT, "&lt;" * 4097, parse_mode="HTML")


async def test_malformed_html_and_empty_text_are_bad_requests(aiobot: Bot, ptbbot: telegram.Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Can't find end tag"):
        await aiobot.send_message(CHAT, "<b>open", parse_mode="HTML")
    with pytest.raises(telegram.error.BadRequest, match=r'(?i)Unsupported start tag "br"'):
        await ptbbot.send_message(CHAT, "a<br>b", parse_mode="HTML")
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)message text is empty"):
        await ptbbot.send_message(CHAT, "<b> </b>", parse_mode="HTML")


async def test_callback_data_over_64_bytes_is_button_data_invalid(aiobot: Bot, ptbbot: telegram.Bot) -> None:
    await aiobot.send_message(CHAT, "ok", reply_markup=keyboard(("A", "x" * 64)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await aiobot.send_message(CHAT, "too long", reply_markup=keyboard(("A", "x" * 65)))
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await ptbbot.send_message(CHAT, "cyrillic is two bytes", reply_markup=ptb_keyboard(("A", "я" * 33)))


async def test_caption_over_1024_is_refused(aiobot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await aiobot.send_photo(CHAT, BufferedInputFile(PNG, "p.png"), caption="c" * 1025)


async def test_a_burst_to_one_chat_gets_429_with_retry_after(
    api: LocalBotApi, aiobot: Bot, ptbbot: telegram.Bot
) -> None:
    for n in range(3):
        await aiobot.send_message(CHAT, f"burst {n}")
    with pytest.raises(TelegramRetryAfter) as aio_error:
        await aiobot.send_message(CHAT, "one too many")
    with pytest.raises(telegram.error.RetryAfter) as ptb_error:
        await ptbbot.send_message(CHAT, "one too many")
    assert aio_error.value.retry_after == 1 and ptb_error.value.retry_after.total_seconds() == 1
    assert (api.count_429, api.flood_429, len(api.transcript(CHAT))) == (2, 2, 3)


async def test_the_chat_allowance_refills_at_one_message_a_second(
    api: LocalBotApi, aiobot: Bot, clock: FrozenClock
) -> None:
    for n in range(3):
        await aiobot.send_message(CHAT, f"burst {n}")
    clock.advance(1.0)
    await aiobot.send_message(CHAT, "one more after a second")
    with pytest.raises(TelegramRetryAfter):
        await aiobot.send_message(CHAT, "but not two")


async def test_more_than_30_sends_a_second_in_total_get_429(
    api: LocalBotApi, aiobot: Bot, clock: FrozenClock
) -> None:
    for chat in range(1000, 1030):
        await aiobot.send_message(chat, "broadcast")
    with pytest.raises(TelegramRetryAfter):
        await aiobot.send_message(1030, "broadcast")
    clock.advance(1.0)
    await aiobot.send_message(1030, "broadcast")


async def test_flood_limits_can_be_switched_off() -> None:
    async with LocalBotApi(tokens=[TOKEN], flood_limits=None) as server:
        bot = aiogram_bot(server.base_url)
        for n in range(40):
            await bot.send_message(CHAT, f"n{n}")
        await bot.session.close()
        assert server.count_429 == 0 and server.sent_count(CHAT) == 40


async def test_flood_limits_can_be_switched_off_at_run_time(api: LocalBotApi, aiobot: Bot) -> None:
    api.set_flood_limits(None)
    for n in range(5):
        await aiobot.send_message(CHAT, f"n{n}")
    assert api.count_429 == 0


async def test_flood_burst_is_a_constructor_parameter(clock: FrozenClock) -> None:
    async with LocalBotApi(tokens=[TOKEN], flood_limits=FloodLimits(per_chat_burst=1), clock=clock) as server:
        bot = aiogram_bot(server.base_url)
        await bot.send_message(CHAT, "first")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(CHAT, "second")
        await bot.session.close()


async def test_blocked_chat_is_forbidden(api: LocalBotApi, aiobot: Bot, ptbbot: telegram.Bot) -> None:
    api.block(CHAT)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await aiobot.send_message(CHAT, "hello?")
    with pytest.raises(telegram.error.Forbidden):
        await ptbbot.send_message(CHAT, "hello?")
    [update] = await aiobot.get_updates()
    assert update.my_chat_member is not None and update.my_chat_member.new_chat_member.status == "kicked"


async def test_html_entities_are_reported_in_utf16_offsets(aiobot: Bot) -> None:
    sent = await aiobot.send_message(
        CHAT, '😀 <a href="https://x.cn/?a=1&amp;b=2">链接</a> &lt;3', parse_mode="HTML"
    )
    assert sent.text == "😀 链接 <3"
    [link] = sent.entities or []
    assert (link.type, link.offset, link.length, link.url) == ("text_link", 3, 2, "https://x.cn/?a=1&b=2")


# -- fault injection ----------------------------------------------------------------------------


async def test_injected_faults_hit_the_next_matching_calls_once(api: LocalBotApi, aiobot: Bot) -> None:
    api.inject_fault("sendMessage", Fault.server_error(502))
    api.inject_fault("sendMessage", Fault.flood(7))
    api.inject_fault("sendMessage", Fault.blocked(chat_id=7))
    with pytest.raises(TelegramServerError):
        await aiobot.send_message(CHAT, "a")
    with pytest.raises(TelegramRetryAfter) as flood:
        await aiobot.send_message(CHAT, "b")
    await aiobot.send_message(CHAT, "c")
    with pytest.raises(TelegramForbiddenError):
        await aiobot.send_message(7, "d")
    assert flood.value.retry_after == 7 and [m.text for m in api.transcript(CHAT)] == ["c"]


async def test_a_slow_answer_times_out_the_client_but_the_message_is_sent(
    api: LocalBotApi, ptbbot: telegram.Bot
) -> None:
    api.inject_fault("sendMessage", Fault.slow(0.3))
    with pytest.raises(telegram.error.TimedOut):
        await ptbbot.send_message(CHAT, "late", read_timeout=0.1)
    [message] = await api.wait_for_messages(CHAT, 1)
    assert message.text == "late"


async def test_ptb_sees_server_errors_as_network_errors(api: LocalBotApi, ptbbot: telegram.Bot) -> None:
    api.inject_fault("*", Fault.server_error(500))
    with pytest.raises(telegram.error.NetworkError):
        await ptbbot.send_chat_action(CHAT, "typing")


# -- updates ------------------------------------------------------------------------------------


async def test_aiogram_long_poll_wakes_at_once_on_a_user_message(api: LocalBotApi, aiobot: Bot) -> None:
    poll = asyncio.create_task(aiobot.get_updates(timeout=10))
    await wait_for_poller(api)
    api.user_sends(CHAT, "/start now")
    [update] = await asyncio.wait_for(poll, 2)
    assert update.message is not None and update.message.text == "/start now"
    entity = update.message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    assert update.message.chat.type == "private" and update.message.from_user.first_name == f"User{CHAT}"


async def test_ptb_long_poll_wakes_at_once_on_a_user_message(api: LocalBotApi, ptbbot: telegram.Bot) -> None:
    poll = asyncio.create_task(ptbbot.get_updates(timeout=10))
    await wait_for_poller(api)
    api.user_sends(CHAT, "你好")
    [update] = await asyncio.wait_for(poll, 2)
    assert update.message.text == "你好" and update.effective_user.id == CHAT


async def test_offset_confirms_and_update_ids_only_grow(api: LocalBotApi, aiobot: Bot) -> None:
    first = api.user_sends(CHAT, "one")["update_id"]
    second = api.user_sends(CHAT, "two")["update_id"]
    assert second > first
    assert [u.update_id for u in await aiobot.get_updates()] == [first, second]
    assert [u.update_id for u in await aiobot.get_updates(offset=second)] == [second]
    assert await aiobot.get_updates(offset=second + 1) == []
    assert api.user_sends(CHAT, "three")["update_id"] > second


async def test_a_newer_poll_ends_the_older_with_409(api: LocalBotApi, aiobot: Bot) -> None:
    older = asyncio.create_task(aiobot.get_updates(timeout=10))
    await wait_for_poller(api)
    newer = asyncio.create_task(aiobot.get_updates(timeout=10))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(older, 2)
    api.user_sends(CHAT, "hi")
    assert len(await asyncio.wait_for(newer, 2)) == 1


async def test_button_press_reaches_the_bot_and_its_answer_is_recorded(api: LocalBotApi, aiobot: Bot) -> None:
    sent = await aiobot.send_message(CHAT, "Pick", reply_markup=keyboard(("A", "pick:a")))
    query_id = api.user_presses(CHAT, sent.message_id, "pick:a")
    [update] = await aiobot.get_updates()
    query = update.callback_query
    assert query is not None and (query.id, query.data, query.message.message_id) == (
        query_id,
        "pick:a",
        sent.message_id,
    )
    await aiobot.answer_callback_query(query.id, text="ok")
    assert api.answered_callbacks[query_id].text == "ok"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await aiobot.answer_callback_query(query.id)


async def test_ptb_parses_a_button_press(api: LocalBotApi, ptbbot: telegram.Bot) -> None:
    sent = await ptbbot.send_message(CHAT, "Pick", reply_markup=ptb_keyboard(("Yes", "y")))
    query_id = api.user_presses_label(CHAT, "Yes")
    [update] = await ptbbot.get_updates()
    assert update.callback_query.data == "y" and update.callback_query.message.message_id == sent.message_id
    await update.callback_query.answer("done")
    assert (await api.wait_for_answer(query_id)).text == "done"


async def test_pressing_a_button_the_message_does_not_show_is_refused(api: LocalBotApi, aiobot: Bot) -> None:
    sent = await aiobot.send_message(CHAT, "Pick", reply_markup=keyboard(("A", "a")))
    with pytest.raises(LookupError):
        api.user_presses(CHAT, sent.message_id, "b")


async def test_user_photo_can_be_downloaded_by_the_bot(api: LocalBotApi, aiobot: Bot) -> None:
    api.user_sends_photo(CHAT, PNG, caption="receipt")
    [update] = await aiobot.get_updates()
    assert update.message is not None and update.message.caption == "receipt"
    downloaded = await aiobot.download(update.message.photo[-1].file_id)
    assert downloaded is not None and downloaded.read() == PNG


# -- commands -----------------------------------------------------------------------------------


async def test_commands_are_kept_per_scope_and_resolve_to_a_chat_menu(
    api: LocalBotApi, aiobot: Bot, ptbbot: telegram.Bot
) -> None:
    await aiobot.set_my_commands([BotCommand(command="start", description="Start")])
    await aiobot.set_my_commands(
        [BotCommand(command="visit", description="Visit")], scope=BotCommandScopeChat(chat_id=CHAT)
    )
    assert api.menu(CHAT) == ["visit"] and api.menu(7) == ["start"]
    scoped = await ptbbot.get_my_commands(scope=telegram.BotCommandScopeChat(CHAT))
    assert [c.command for c in scoped] == ["visit"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await aiobot.set_my_commands([BotCommand(command="Bad Command", description="x")])


# -- webhook ------------------------------------------------------------------------------------


@pytest.fixture
async def receiver() -> AsyncIterator[
    tuple[str, asyncio.Queue[tuple[str | None, dict[str, Any]]], list[int]]
]:
    """A webhook endpoint that fails the first request with 500, then records the updates it gets."""
    received: asyncio.Queue[tuple[str | None, dict[str, Any]]] = asyncio.Queue()
    statuses: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        status = 500 if not statuses else 200
        statuses.append(status)
        if status == 200:
            await received.put((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", received, statuses
    await runner.cleanup()


async def test_webhook_gets_updates_with_the_secret_and_retries_failures(
    api: LocalBotApi,
    aiobot: Bot,
    receiver: tuple[str, asyncio.Queue[tuple[str | None, dict[str, Any]]], list[int]],
) -> None:
    url, received, statuses = receiver
    await aiobot.set_webhook(url, secret_token="s3cret-token")
    update_id = api.user_sends(CHAT, "/start")["update_id"]
    secret, body = await asyncio.wait_for(received.get(), 3)
    assert (secret, body["update_id"], body["message"]["text"], statuses) == (
        "s3cret-token",
        update_id,
        "/start",
        [500, 200],
    )
    info = await aiobot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (url, 0)
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await aiobot.get_updates()
    await aiobot.delete_webhook()
    api.user_sends(CHAT, "polling again")
    assert len(await aiobot.get_updates()) == 1


# -- frameworks end to end ----------------------------------------------------------------------


def aiogram_router() -> Router:
    """A tiny bot: /start shows a button; pressing it answers and edits the message."""
    router = Router()

    @router.message(CommandStart())
    async def cmd_start(message: Message) -> None:
        await message.answer("Welcome", reply_markup=keyboard(("Go", "go")))

    @router.callback_query(F.data == "go")
    async def on_go(query: CallbackQuery) -> None:
        await query.answer("going")
        assert isinstance(query.message, Message)
        await query.message.edit_text("Gone")

    return router


async def test_aiogram_dispatcher_handles_a_command_and_a_press(api: LocalBotApi, aiobot: Bot) -> None:
    dispatcher = Dispatcher()
    dispatcher.include_router(aiogram_router())
    polling = asyncio.create_task(
        dispatcher.start_polling(aiobot, handle_signals=False, polling_timeout=1, close_bot_session=False)
    )
    try:
        api.user_sends(CHAT, "/start")
        [welcome] = await api.wait_for_messages(CHAT, 1)
        query_id = api.user_presses(CHAT, welcome.message_id, "go")
        assert (await api.wait_for_answer(query_id)).text == "going"
        await api.wait_until(lambda: welcome.text == "Gone", what="the edit")
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, 5)
    assert welcome.buttons == []


async def ptb_start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start in the PTB bot: a greeting with a button."""
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id, "Welcome", reply_markup=ptb_keyboard(("Go", "go"))
    )


async def ptb_press(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The button of the PTB bot: answer and edit."""
    assert update.callback_query is not None
    await update.callback_query.answer("going")
    await update.callback_query.edit_message_text("Gone")


async def test_ptb_application_handles_a_command_and_a_press(api: LocalBotApi) -> None:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{api.base_url}/bot")
        .base_file_url(f"{api.base_url}/file/bot")
        .job_queue(None)
        .build()
    )
    application.add_handler(CommandHandler("start", ptb_start))
    application.add_handler(CallbackQueryHandler(ptb_press))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        api.user_sends(CHAT, "/start")
        [welcome] = await api.wait_for_messages(CHAT, 1)
        query_id = api.user_presses_label(CHAT, "Go")
        assert (await api.wait_for_answer(query_id)).text == "going"
        await api.wait_until(lambda: welcome.text == "Gone", what="the edit")
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    assert api.calls_to("deleteWebhook")


async def test_stop_ends_parked_polls_and_webhook_delivery_at_once() -> None:
    server = LocalBotApi(tokens=[TOKEN, "777:other"])
    await server.start()
    bot = aiogram_bot(server.base_url)
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await wait_for_poller(server)
    server.world.bots[777].webhook = Webhook("http://127.0.0.1:9/unused")
    server.webhooks.ensure(server.world.bots[777])
    await asyncio.sleep(0)
    await asyncio.wait_for(server.stop(), 3)
    assert await asyncio.wait_for(poll, 3) == []
    await bot.session.close()


# -- the control API over HTTP ------------------------------------------------------------------


async def test_http_control_api_drives_a_conversation(api: LocalBotApi, aiobot: Bot, http: Any) -> None:
    control = f"{api.base_url}/_control"
    async with http.post(f"{control}/send", json={"chat_id": CHAT, "text": "/start"}) as response:
        assert (await response.json())["update_id"] > 0
    [update] = await aiobot.get_updates()
    assert update.message is not None
    transcript = asyncio.create_task(http.get(f"{control}/transcript/{CHAT}?count=1&timeout=3"))
    await aiobot.send_message(CHAT, "Pick", reply_markup=keyboard(("A", "a")))
    async with await transcript as response:
        [message] = (await response.json())["messages"]
    assert (message["text"], message["buttons"]) == ("Pick", [["A", "a"]])
    async with http.post(f"{control}/press", json={"chat_id": CHAT, "label": "A"}) as response:
        query_id = (await response.json())["callback_query_id"]
    [press] = await aiobot.get_updates(offset=update.update_id + 1)
    assert press.callback_query is not None and press.callback_query.id == query_id
    async with http.post(f"{control}/fault", json={"method": "sendMessage", "error_code": 403}) as response:
        assert response.status == 200
    with pytest.raises(TelegramForbiddenError):
        await aiobot.send_message(CHAT, "x")
    async with http.get(f"{control}/stats") as response:
        assert (await response.json())["count_429"] == 0
