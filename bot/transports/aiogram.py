"""The aiogram transport: aiogram's Bot and Dispatcher carry the neutral core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Message,
    Update,
    WebAppInfo,
)
from pydantic import ValidationError

from bot.transports.base import Transport, UnreadableUpdate
from bot.transports.polling import Poller
from handlers.events import (
    Action,
    AnswerCallback,
    BadRequest,
    DeleteMessages,
    Edit,
    Incoming,
    InKind,
    Keyboard,
    RetryLater,
    Send,
    SendContact,
    SendDocument,
    SendPhoto,
    SendVoice,
    Sent,
    SetCommands,
    Transient,
    Unreachable,
)

T = TypeVar("T")
HTML = "HTML"


def _markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=b.text, web_app=WebAppInfo(url=b.web_app_url))
                if b.web_app_url
                else InlineKeyboardButton(text=b.text, callback_data=b.data)
                for b in row
            ]
            for row in buttons
        ]
    )


class AiogramTransport(Transport):
    name = "aiogram"

    def __init__(self, token: str, api_url: str, *, polling_timeout: int = 10) -> None:
        super().__init__()
        self.session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
        self.bot = Bot(token, session=self.session)
        self.bot_id = self.bot.id
        self.polling_timeout = polling_timeout
        self.dispatcher = Dispatcher(disable_fsm=True)
        router = Router(name="gridcare")
        router.message.register(self._on_message)
        router.callback_query.register(self._on_callback)
        self.dispatcher.include_router(router)
        self._allowed_updates = self.dispatcher.resolve_used_update_types()

    # -- in --------------------------------------------------------------------------------------

    async def _on_message(self, message: Message, event_update: Update) -> None:
        if message.from_user is None:
            return
        photo = message.photo[-1].file_id if message.photo else None
        await self._deliver(_message_incoming(self.bot_id, event_update.update_id, message, photo))

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        message = query.message
        await self._deliver(
            Incoming(
                bot_id=self.bot_id,
                update_id=event_update.update_id,
                kind=InKind.callback,
                user_id=query.from_user.id,
                chat_id=message.chat.id if message else query.from_user.id,
                first_name=query.from_user.first_name,
                language_code=query.from_user.language_code,
                callback_id=query.id,
                callback_data=query.data,
                message_id=message.message_id if message else None,
                is_private=message is None or message.chat.type == "private",
            )
        )

    async def feed(self, update: dict[str, Any]) -> None:
        try:
            parsed = Update.model_validate(update, context={"bot": self.bot})
        except ValidationError:
            raise UnreadableUpdate(update.get("update_id")) from None  # its message quotes the update
        await self.dispatcher.feed_update(self.bot, parsed)

    async def start_polling(self) -> None:
        """Poll until `stop_polling()`: our Poller, not the Dispatcher's, which acknowledges updates
        still being handled (bot/transports/polling.py)."""
        if self._stop.is_set():
            return
        await self.bot.delete_webhook(drop_pending_updates=False)
        poller = Poller(self._fetch, self._handle_polled, timeout=self.polling_timeout)
        await poller.run(self._stop)

    async def _fetch(self, offset: int | None, timeout: float) -> list[tuple[int, Update]]:
        # As aiogram's own polling: the request may take the long poll plus the session's time-out.
        wait = int(timeout)
        updates = await self.bot.get_updates(
            offset=offset,
            timeout=wait,
            allowed_updates=self._allowed_updates,
            request_timeout=int(self.bot.session.timeout + wait),
        )
        return [(update.update_id, update) for update in updates]

    async def _handle_polled(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.bot, update)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, drop_pending_updates=False)

    async def start(self) -> None:
        """aiogram's HTTP session (its connection pool), here rather than on the first request."""
        await self.session.create_session()

    async def close(self) -> None:
        await self.bot.session.close()

    # -- out -------------------------------------------------------------------------------------

    async def call(self, action: Action) -> Sent:
        return await _mapped(lambda: self._call(action))

    async def _call(self, action: Action) -> Sent:
        bot = self.bot
        match action:
            case Send(chat_id, text, buttons):
                msg = await bot.send_message(chat_id, text, parse_mode=HTML, reply_markup=_markup(buttons))
                return Sent(msg.message_id)
            case Edit(chat_id, message_id, text, buttons):
                await bot.edit_message_text(
                    text=text,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=HTML,
                    reply_markup=_markup(buttons),
                )
                return Sent(message_id)
            case AnswerCallback(callback_id, text, alert):
                await bot.answer_callback_query(callback_id, text=text, show_alert=alert)
                return Sent()
            case SendDocument(chat_id, filename, data, caption):
                msg = await bot.send_document(
                    chat_id, BufferedInputFile(data, filename), caption=caption, parse_mode=HTML
                )
                return Sent(msg.message_id)
            case SendPhoto(chat_id, data, file_id, caption, buttons):
                photo = BufferedInputFile(data, "photo.png") if data is not None else file_id
                assert photo is not None, "a SendPhoto carries its bytes or a file_id (bot/send_actions.py)"
                msg = await bot.send_photo(
                    chat_id, photo, caption=caption, parse_mode=HTML, reply_markup=_markup(buttons)
                )
                return Sent(msg.message_id)
            case SendVoice(chat_id, file_id, caption, buttons):
                msg = await bot.send_voice(
                    chat_id, file_id, caption=caption, parse_mode=HTML, reply_markup=_markup(buttons)
                )
                return Sent(msg.message_id)
            case SendContact(chat_id, phone, first_name, last_name):
                msg = await bot.send_contact(chat_id, phone, first_name, last_name=last_name)
                return Sent(msg.message_id)
            case SetCommands(chat_id, commands, language_code, menu_app):
                await bot.set_my_commands(
                    [BotCommand(command=c, description=d) for c, d in commands],
                    scope=BotCommandScopeChat(chat_id=chat_id),
                    language_code=language_code,
                )
                if menu_app is not None:
                    button = MenuButtonWebApp(text=menu_app[0], web_app=WebAppInfo(url=menu_app[1]))
                    await bot.set_chat_menu_button(chat_id=chat_id, menu_button=button)
                return Sent()
            case DeleteMessages(chat_id, message_ids):
                await bot.delete_messages(chat_id, list(message_ids))
                return Sent()
        raise TypeError(f"unknown action {type(action).__name__}")


def _message_incoming(bot_id: int, update_id: int, message: Message, photo: str | None) -> Incoming:
    user = message.from_user
    assert user is not None
    return Incoming(
        bot_id=bot_id,
        update_id=update_id,
        kind=InKind.message,
        user_id=user.id,
        chat_id=message.chat.id,
        first_name=user.first_name,
        language_code=user.language_code,
        text=message.text or message.caption,
        message_id=message.message_id,
        photo_file_id=photo,
        document_file_id=message.document.file_id if message.document else None,
        voice_file_id=message.voice.file_id if message.voice else None,
        is_private=message.chat.type == "private",
    )


async def _mapped(call: Callable[[], Awaitable[T]]) -> T:
    """aiogram's exceptions as the neutral ones."""
    try:
        return await call()
    except TelegramRetryAfter as exc:
        raise RetryLater(float(exc.retry_after)) from exc
    except TelegramForbiddenError as exc:
        raise Unreachable(exc.message) from exc
    except TelegramBadRequest as exc:
        raise BadRequest(exc.message) from exc
    except (TelegramServerError, TelegramNetworkError) as exc:
        raise Transient(str(exc)) from exc
