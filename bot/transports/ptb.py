"""The python-telegram-bot transport: PTB's Application and Bot carry the neutral core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest as PTBBadRequest
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.transports.base import Transport, UnreadableUpdate, log_update_error
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
HTML = ParseMode.HTML


def _markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.text, web_app=WebAppInfo(b.web_app_url))
                if b.web_app_url
                else InlineKeyboardButton(b.text, callback_data=b.data)
                for b in row
            ]
            for row in buttons
        ]
    )


def to_incoming(bot_id: int, update: Update) -> Incoming | None:
    """PTB's Update as the neutral Incoming (None for kinds the core does not handle)."""
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        return Incoming(
            bot_id=bot_id,
            update_id=update.update_id,
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
    message = update.message
    if message is None or message.from_user is None:
        return None
    return Incoming(
        bot_id=bot_id,
        update_id=update.update_id,
        kind=InKind.message,
        user_id=message.from_user.id,
        chat_id=message.chat.id,
        first_name=message.from_user.first_name,
        language_code=message.from_user.language_code,
        text=message.text or message.caption,
        message_id=message.message_id,
        photo_file_id=message.photo[-1].file_id if message.photo else None,
        document_file_id=message.document.file_id if message.document else None,
        voice_file_id=message.voice.file_id if message.voice else None,
        is_private=message.chat.type == "private",
    )


class PTBTransport(Transport):
    name = "ptb"

    def __init__(self, token: str, api_url: str, *, polling_timeout: int = 10) -> None:
        super().__init__()
        self.bot_id = int(token.split(":", 1)[0])
        self.polling_timeout = polling_timeout
        self.app = (
            Application.builder()
            .token(token)
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .job_queue(None)
            .updater(None)  # polling is ours (bot/transports/polling.py)
            .concurrent_updates(True)  # the core keeps each chat in order itself
            .build()
        )
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)  # else PTB logs the traceback, which may quote it

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._deliver(to_incoming(self.bot_id, update))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log_update_error(update.update_id if isinstance(update, Update) else None, context.error)

    async def start(self) -> None:
        """PTB's Application: its Bot (getMe) and its update processing."""
        await self.app.initialize()
        await self.app.start()

    async def close(self) -> None:
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()  # nothing to do if it never started

    async def feed(self, update: dict[str, Any]) -> None:
        try:
            parsed = Update.de_json(update, self.app.bot)
        except Exception:  # whatever parsing met: its message may quote the update
            raise UnreadableUpdate(update.get("update_id")) from None
        await self.app.process_update(parsed)

    async def start_polling(self) -> None:
        """Poll until `stop_polling()`: our Poller, not PTB's Updater, which acknowledges updates
        still being handled (bot/transports/polling.py)."""
        if self._stop.is_set():
            return
        await self.app.bot.delete_webhook(drop_pending_updates=False)
        poller = Poller(self._fetch, self.app.process_update, timeout=self.polling_timeout)
        await poller.run(self._stop)

    async def _fetch(self, offset: int | None, timeout: float) -> list[tuple[int, Update]]:
        updates = await self.app.bot.get_updates(offset=offset, timeout=timedelta(seconds=timeout))
        return [(update.update_id, update) for update in updates]

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.app.bot.set_webhook(url, secret_token=secret)

    async def call(self, action: Action) -> Sent:
        return await _mapped(lambda: self._call(action))

    async def _call(self, action: Action) -> Sent:
        bot = self.app.bot
        match action:
            case Send(chat_id, text, buttons):
                msg = await bot.send_message(chat_id, text, parse_mode=HTML, reply_markup=_markup(buttons))
                return Sent(msg.message_id)
            case Edit(chat_id, message_id, text, buttons):
                await bot.edit_message_text(
                    text,
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
                    chat_id, InputFile(data, filename=filename), caption=caption, parse_mode=HTML
                )
                return Sent(msg.message_id)
            case SendPhoto(chat_id, data, file_id, caption, buttons):
                photo = InputFile(data, filename="photo.png") if data is not None else file_id
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
                msg = await bot.send_contact(
                    chat_id, phone_number=phone, first_name=first_name, last_name=last_name
                )
                return Sent(msg.message_id)
            case SetCommands(chat_id, commands, language_code, menu_app):
                await bot.set_my_commands(
                    [BotCommand(c, d) for c, d in commands],
                    scope=BotCommandScopeChat(chat_id),
                    language_code=language_code,
                )
                if menu_app is not None:
                    button = MenuButtonWebApp(menu_app[0], WebAppInfo(menu_app[1]))
                    await bot.set_chat_menu_button(chat_id=chat_id, menu_button=button)
                return Sent()
            case DeleteMessages(chat_id, message_ids):
                await bot.delete_messages(chat_id, list(message_ids))
                return Sent()
        raise TypeError(f"unknown action {type(action).__name__}")


async def _mapped(call: Callable[[], Awaitable[T]]) -> T:
    """PTB's exceptions as the neutral ones (BadRequest and TimedOut subclass NetworkError: order matters)."""
    try:
        return await call()
    except RetryAfter as exc:
        wait = exc.retry_after
        raise RetryLater(wait.total_seconds() if isinstance(wait, timedelta) else float(wait)) from exc
    except Forbidden as exc:
        raise Unreachable(exc.message) from exc
    except PTBBadRequest as exc:
        raise BadRequest(exc.message) from exc
    except (TimedOut, NetworkError) as exc:
        raise Transient(str(exc)) from exc
