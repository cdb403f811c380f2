"""The control side, for tests and the sandbox: act as users, inject faults, read what the bot did."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.telegram_api.errors import Fault
from bot.telegram_api.flood import FloodControl, FloodLimits
from bot.telegram_api.state import AnsweredCallback, BotState, Call, ChatMessage, User, World
from bot.telegram_api.updates import callback_query, chat_member_update, user_message

BotKey = int | str | None


@dataclass
class _QueuedFault:
    method: str
    bot_id: int | None
    fault: Fault


def _applies(queued: _QueuedFault, bot_id: int, method: str, chat_id: int | None) -> bool:
    method_matches = queued.method == method or (queued.method == "*" and method != "getupdates")
    return method_matches and queued.bot_id in (None, bot_id) and queued.fault.matches(chat_id)


def _sender(chat_id: int, user: int | None) -> int:
    """Who acts: the given user, or in a private chat the chat's own user."""
    if user is not None:
        return user
    if chat_id < 0:
        raise ValueError(f"chat {chat_id} is a group: say which user acts")
    return chat_id


class Controls:
    """In-process control of the emulated Telegram; every method runs in the server's event loop."""

    def __init__(
        self,
        tokens: Iterable[str] = (),
        *,
        flood_limits: FloodLimits | None = FloodLimits(),
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.world = World(flood_limits, clock, now)
        self.tokens = tuple(tokens)
        for token in self.tokens:
            self.world.add_bot(token)
        self._faults: list[_QueuedFault] = []
        self._outage: _QueuedFault | None = None

    # -- bots and users -------------------------------------------------------------------------

    def bot(self, key: BotKey = None) -> BotState:
        """A bot by id or token; by default the first one registered."""
        if key is None:
            if not self.world.bots:
                raise LookupError("no bot yet: pass tokens= to the server or let the bot call getMe first")
            return next(iter(self.world.bots.values()))
        bot_id = int(str(key).split(":", 1)[0])
        if bot_id not in self.world.bots:
            raise LookupError(f"unknown bot {bot_id}")
        return self.world.bots[bot_id]

    def add_user(self, user_id: int, first_name: str, **details: Any) -> User:
        """Create or replace a user (last_name, username, language_code may be given)."""
        self.world.users[user_id] = User(user_id, first_name, **details)
        return self.world.users[user_id]

    # -- what users do --------------------------------------------------------------------------

    def user_sends(
        self, chat_id: int, text: str, *, user: int | None = None, bot: BotKey = None
    ) -> dict[str, Any]:
        """A user writes text in a chat (private by default); commands get a bot_command entity."""
        _, update = user_message(self.world, self.bot(bot), chat_id, _sender(chat_id, user), text=text)
        return update

    def user_sends_photo(
        self,
        chat_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        user: int | None = None,
        bot: BotKey = None,
    ) -> dict[str, Any]:
        """A user sends a photo; the bot can fetch the bytes with getFile."""
        stored = self.world.store_file(data, "photo.jpg", "image/jpeg")
        _, update = user_message(
            self.world, self.bot(bot), chat_id, _sender(chat_id, user), photo=stored, caption=caption
        )
        return update

    def user_sends_voice(
        self,
        chat_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        user: int | None = None,
        bot: BotKey = None,
    ) -> dict[str, Any]:
        """A user sends a voice note (OGG/Opus, as Telegram's clients record); getFile fetches the bytes."""
        stored = self.world.store_file(data, "voice.ogg", "audio/ogg")
        _, update = user_message(
            self.world, self.bot(bot), chat_id, _sender(chat_id, user), voice=stored, caption=caption
        )
        return update

    def user_sends_document(
        self,
        chat_id: int,
        data: bytes,
        filename: str,
        *,
        mime_type: str | None = None,
        user: int | None = None,
        bot: BotKey = None,
    ) -> dict[str, Any]:
        """A user sends a document."""
        stored = self.world.store_file(data, filename, mime_type)
        _, update = user_message(self.world, self.bot(bot), chat_id, _sender(chat_id, user), document=stored)
        return update

    def user_sends_contact(
        self, chat_id: int, phone_number: str, *, user: int | None = None, bot: BotKey = None
    ) -> dict[str, Any]:
        """A user shares their own contact (as the request_contact button does)."""
        sender = self.world.user(_sender(chat_id, user))
        contact = {"phone_number": phone_number, "first_name": sender.first_name, "user_id": sender.id}
        _, update = user_message(self.world, self.bot(bot), chat_id, sender.id, contact=contact)
        return update

    def user_presses(
        self,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        user: int | None = None,
        bot: BotKey = None,
        strict: bool = True,
    ) -> str:
        """A user presses an inline button; returns the callback query id.

        With strict (the default) the message must currently show a button with that data, as a real
        user could not press anything else.
        """
        state = self.bot(bot)
        message = state.messages(chat_id).get(message_id)
        if message is None or message.deleted:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        if strict and callback_data not in {data for _, data in message.buttons}:
            raise LookupError(
                f"message {message_id} has no button with data {callback_data!r}: {message.buttons}"
            )
        return callback_query(self.world, state, chat_id, _sender(chat_id, user), message, callback_data)

    def user_presses_label(
        self, chat_id: int, label: str, *, user: int | None = None, bot: BotKey = None
    ) -> str:
        """A user presses the newest visible button with this label; returns the callback query id."""
        for message in reversed(self.transcript(chat_id, bot=bot)):
            for text, data in message.buttons:
                if text == label and data is not None:
                    return self.user_presses(chat_id, message.message_id, data, user=user, bot=bot)
        raise LookupError(f"no button labelled {label!r} in chat {chat_id}")

    def block(self, chat_id: int, *, bot: BotKey = None, notify: bool = True) -> None:
        """The user blocks the bot: sends answer 403; notify queues Telegram's my_chat_member update."""
        state = self.bot(bot)
        state.blocked.add(chat_id)
        if notify and chat_id > 0:
            chat_member_update(self.world, state, chat_id, blocked=True)

    def unblock(self, chat_id: int, *, bot: BotKey = None, notify: bool = True) -> None:
        """The user unblocks the bot."""
        state = self.bot(bot)
        state.blocked.discard(chat_id)
        if notify and chat_id > 0:
            chat_member_update(self.world, state, chat_id, blocked=False)

    def set_flood_limits(self, limits: FloodLimits | None) -> None:
        """Change the flood limits of every bot at run time (None switches them off); counters restart."""
        self.world.flood_limits = limits
        for state in self.world.bots.values():
            state.flood = FloodControl(limits, self.world.clock) if limits else None

    # -- faults ---------------------------------------------------------------------------------

    def inject_fault(self, method: str, fault: Fault, *, times: int = 1, bot: BotKey = None) -> None:
        """Queue a fault for the next `times` calls of method ("*" = any method except getUpdates)."""
        bot_id = self.bot(bot).id if bot is not None else None
        self._faults.extend(_QueuedFault(method.lower(), bot_id, fault) for _ in range(times))

    def start_outage(self, fault: Fault, *, method: str = "*", bot: BotKey = None) -> None:
        """Telegram is down: every matching call gets `fault` until `end_outage()` (after any queued
        faults). getUpdates keeps working unless named, so the bot still hears its users."""
        bot_id = self.bot(bot).id if bot is not None else None
        self._outage = _QueuedFault(method.lower(), bot_id, fault)

    def end_outage(self) -> None:
        """Telegram answers again."""
        self._outage = None

    def take_fault(self, bot_id: int, method: str, chat_id: int | None) -> Fault | None:
        """Pop the first queued fault that matches this call; else the outage's, if one matches."""
        for index, queued in enumerate(self._faults):
            if _applies(queued, bot_id, method, chat_id):
                return self._faults.pop(index).fault
        if self._outage is not None and _applies(self._outage, bot_id, method, chat_id):
            return self._outage.fault
        return None

    # -- what the bot did -----------------------------------------------------------------------

    def transcript(
        self, chat_id: int, *, bot: BotKey = None, include_user: bool = False, include_deleted: bool = False
    ) -> list[ChatMessage]:
        """The bot's messages in a chat, oldest first, with edits applied."""
        messages = self.bot(bot).messages(chat_id).values()
        return [
            message
            for message in sorted(messages, key=lambda m: m.message_id)
            if (include_user or message.from_bot) and (include_deleted or not message.deleted)
        ]

    def sent_count(self, chat_id: int, *, bot: BotKey = None) -> int:
        """How many messages the bot has sent to a chat so far (deleted ones included)."""
        return len([m for m in self.bot(bot).messages(chat_id).values() if m.from_bot])

    def menu(
        self, chat_id: int, *, user: int | None = None, language_code: str = "", bot: BotKey = None
    ) -> list[str]:
        """The command names a chat's menu shows, resolving scopes the way Telegram does."""
        commands = self.bot(bot).commands
        if chat_id > 0:
            scopes: list[tuple[str, int | None, int | None]] = [
                ("chat", chat_id, None),
                ("all_private_chats", None, None),
                ("default", None, None),
            ]
        else:
            scopes = [
                ("chat_member", chat_id, user),
                ("chat", chat_id, None),
                ("all_group_chats", None, None),
                ("default", None, None),
            ]
        for kind, scope_chat, scope_user in scopes:
            for language in dict.fromkeys((language_code, "")):
                found = commands.get((kind, scope_chat, scope_user, language))
                if found:
                    return [command["command"] for command in found]
        return []

    @property
    def answered_callbacks(self) -> dict[str, AnsweredCallback]:
        """Answers to button presses by query id, across all bots."""
        return {key: value for bot in self.world.bots.values() for key, value in bot.answered.items()}

    @property
    def calls(self) -> list[Call]:
        """Every Bot API call received, in order."""
        return self.world.calls

    def calls_to(self, method: str) -> list[Call]:
        """The calls of one method (case-insensitive)."""
        return [call for call in self.world.calls if call.method.lower() == method.lower()]

    @property
    def count_429(self) -> int:
        """How many 429 answers were given (flood control and injected faults)."""
        return self.world.answered_429

    @property
    def flood_429(self) -> int:
        """How many sends the flood control refused."""
        return self.world.flood_429

    # -- waiting without sleeping ---------------------------------------------------------------

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition"
    ) -> None:
        """Wait until predicate() holds, re-checked on every change; TimeoutError otherwise."""
        if not await self.world.changed.wait_until(predicate, timeout):
            raise TimeoutError(f"{what} not reached within {timeout} s")

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, timeout: float = 5.0, *, bot: BotKey = None
    ) -> list[ChatMessage]:
        """Wait until the bot has sent at least `count` messages to the chat in total; the transcript."""
        await self.wait_until(
            lambda: self.sent_count(chat_id, bot=bot) >= count,
            timeout,
            f"{count} bot message(s) in chat {chat_id}",
        )
        return self.transcript(chat_id, bot=bot)

    async def wait_for_answer(self, query_id: str, timeout: float = 5.0) -> AnsweredCallback:
        """Wait until the bot answers the callback query."""
        await self.wait_until(lambda: query_id in self.answered_callbacks, timeout, f"answer to {query_id}")
        return self.answered_callbacks[query_id]
