"""What the local Bot API remembers: users, bots, chats, messages, files and pending updates."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.telegram_api.flood import FloodControl, FloodLimits
from bot.telegram_api.text import FormattedText


class Signal:
    """Wakes every waiter when anything changes; safe to fire from synchronous code in the loop."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake all current waiters."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until predicate() holds; False if the timeout passes first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            # asyncio.timeout, unlike wait_for on 3.11, never swallows a cancellation that races a wake-up.
            try:
                async with asyncio.timeout(remaining):
                    await self._event.wait()
            except TimeoutError:
                return predicate()
        return True


@dataclass
class User:
    """A Telegram user of the emulated world (also the private chat with the same id)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        """The User object of the Bot API."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file, kept whole so tests can read the bytes back."""

    file_id: str
    file_unique_id: str
    data: bytes
    filename: str | None = None
    mime_type: str | None = None
    url: str | None = None


@dataclass
class ChatMessage:
    """One message in a chat, with every edit applied; `from_bot` tells the bot's from the user's."""

    chat_id: int
    message_id: int
    date: int
    from_bot: bool
    sender: dict[str, Any]
    text: str | None = None
    source_text: str | None = None
    parse_mode: str | None = None
    entities: tuple[dict[str, Any], ...] = ()
    caption: str | None = None
    caption_entities: tuple[dict[str, Any], ...] = ()
    reply_markup: dict[str, Any] | None = None
    photo: StoredFile | None = None
    document: StoredFile | None = None
    voice: StoredFile | None = None
    contact: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    edit_count: int = 0
    edit_date: int | None = None
    deleted: bool = False

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """The inline keyboard flattened to (label, callback_data) pairs."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [(button["text"], button.get("callback_data")) for row in rows for button in row]

    def set_text(self, formatted: FormattedText, source: str, parse_mode: str | None) -> None:
        """Replace the text, keeping the source as sent (e.g. with HTML tags)."""
        self.text, self.entities, self.source_text, self.parse_mode = (
            formatted.text,
            formatted.entities,
            source,
            parse_mode,
        )

    def set_caption(self, formatted: FormattedText | None) -> None:
        """Replace the caption."""
        self.caption = formatted.text if formatted else None
        self.caption_entities = formatted.entities if formatted else ()


@dataclass(frozen=True)
class Webhook:
    """The webhook a bot set with setWebhook."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: tuple[str, ...] | None = None


@dataclass(frozen=True)
class AnsweredCallback:
    """The bot's answer to a button press."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass
class BotState:
    """Everything one bot (one token) sees."""

    token: str
    user: User
    flood: FloodControl | None
    pending: list[dict[str, Any]] = field(default_factory=list)
    chats: dict[int, dict[int, ChatMessage]] = field(default_factory=dict)
    commands: dict[tuple[str, int | None, int | None, str], list[dict[str, Any]]] = field(
        default_factory=dict
    )
    blocked: set[int] = field(default_factory=set)
    open_queries: dict[str, dict[str, Any]] = field(default_factory=dict)
    answered: dict[str, AnsweredCallback] = field(default_factory=dict)
    webhook: Webhook | None = None
    webhook_error: tuple[int, str] | None = None
    poll_generation: int = 0

    @property
    def id(self) -> int:
        """The bot's user id, the token's prefix."""
        return self.user.id

    def messages(self, chat_id: int) -> dict[int, ChatMessage]:
        """The messages of a chat by id (created empty)."""
        return self.chats.setdefault(chat_id, {})


@dataclass(frozen=True)
class Call:
    """One Bot API call as the server received it."""

    bot_id: int
    method: str
    params: dict[str, Any]
    error_code: int | None = None


@dataclass
class World:
    """The whole emulated Telegram: users and bots, shared ids, the call log and counters."""

    flood_limits: FloodLimits | None
    clock: Callable[[], float]
    now: Callable[[], float] = time.time
    users: dict[int, User] = field(default_factory=dict)
    bots: dict[int, BotState] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    flood_429: int = 0
    answered_429: int = 0
    changed: Signal = field(default_factory=Signal)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: dict[tuple[int, int], itertools.count[int]] = field(default_factory=dict)
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _query_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def user(self, user_id: int, first_name: str | None = None) -> User:
        """The user with this id, created with a default first name on first sight."""
        if user_id not in self.users:
            self.users[user_id] = User(user_id, first_name or f"User{user_id}")
        return self.users[user_id]

    def add_bot(self, token: str, username: str | None = None) -> BotState:
        """Register a bot by token; its id is the token's prefix."""
        bot_id = int(token.split(":", 1)[0])
        flood = FloodControl(self.flood_limits, self.clock) if self.flood_limits else None
        name = username or f"test_{bot_id}_bot"
        state = BotState(token, User(bot_id, f"Bot {bot_id}", username=name, is_bot=True), flood)
        self.bots[bot_id] = state
        return state

    def next_update_id(self) -> int:
        """A fresh update_id: strictly increasing and never reused, even across bots."""
        return next(self._update_ids)

    def next_message_id(self, bot_id: int, chat_id: int) -> int:
        """A fresh message id in a chat (shared by the user's and the bot's messages)."""
        return next(self._message_ids.setdefault((bot_id, chat_id), itertools.count(1)))

    def next_query_id(self) -> str:
        """A fresh callback query id."""
        return f"cbq-{next(self._query_ids)}"

    def store_file(
        self, data: bytes, filename: str | None, mime_type: str | None, url: str | None = None
    ) -> StoredFile:
        """Keep a file and give it a file_id."""
        number = next(self._file_ids)
        stored = StoredFile(f"file-{number}", f"uniq-{number}", data, filename, mime_type, url)
        self.files[stored.file_id] = stored
        return stored

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        """The Chat object: private for positive ids, a group for negative ones."""
        if chat_id < 0:
            kind = "supergroup" if chat_id < -1_000_000_000_000 else "group"
            return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}
        user = self.user(chat_id)
        chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": user.first_name}
        if user.username:
            chat["username"] = user.username
        return chat
