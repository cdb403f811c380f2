"""The neutral types that cross between a transport and the core: what came in, what goes out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class InKind(StrEnum):
    message = "message"
    callback = "callback"
    other = "other"  # stickers, member updates...: answered politely or ignored


@dataclass(frozen=True)
class Incoming:
    """One Telegram update, reduced to what the core needs. Private chats only."""

    bot_id: int
    update_id: int
    kind: InKind
    user_id: int
    chat_id: int
    first_name: str = ""
    language_code: str | None = None
    text: str | None = None
    callback_id: str | None = None
    callback_data: str | None = None
    message_id: int | None = None  # for a callback: the message that carries the button
    photo_file_id: str | None = None
    document_file_id: str | None = None
    voice_file_id: str | None = None
    is_private: bool = True


WEB_APP = "webapp:"  # a button's data that opens the Mini App at the URL after it (no callback)


@dataclass(frozen=True)
class Button:
    text: str
    data: str

    @property
    def web_app_url(self) -> str | None:
        """The Mini App's address if this button opens it (`WEB_APP` + URL), else None."""
        return self.data.removeprefix(WEB_APP) if self.data.startswith(WEB_APP) else None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Send:
    chat_id: int
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class Edit:
    chat_id: int
    message_id: int
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class AnswerCallback:
    callback_id: str
    text: str | None = None
    alert: bool = False


@dataclass(frozen=True)
class SendDocument:
    chat_id: int
    filename: str
    data: bytes
    caption: str | None = None


@dataclass(frozen=True)
class SendPhoto:
    chat_id: int
    data: bytes | None = None
    file_id: str | None = None
    caption: str | None = None
    buttons: Keyboard = ()


@dataclass(frozen=True)
class SendVoice:
    """A voice message re-sent by its Telegram file_id (a relayed family voice note)."""

    chat_id: int
    file_id: str
    caption: str | None = None
    buttons: Keyboard = ()


@dataclass(frozen=True)
class SendContact:
    chat_id: int
    phone: str
    first_name: str
    last_name: str | None = None


@dataclass(frozen=True)
class SetCommands:
    """A chat's menu: its commands and, for staff the Mini App serves, the menu button opening it."""

    chat_id: int
    commands: tuple[tuple[str, str], ...]
    language_code: str | None = None
    menu_app: tuple[str, str] | None = None  # (button text, the Mini App's URL): setChatMenuButton


@dataclass(frozen=True)
class DeleteMessages:
    """Delete up to 100 messages of a chat at once (Bot API deleteMessages).

    Telegram skips, without an error, the ids it cannot delete: missing ones and ones older than 48 h.
    """

    chat_id: int
    message_ids: tuple[int, ...]


Action = (
    Send
    | Edit
    | AnswerCallback
    | SendDocument
    | SendPhoto
    | SendVoice
    | SendContact
    | SetCommands
    | DeleteMessages
)


@dataclass(frozen=True)
class Sent:
    """What Telegram answered to a send: the new message's id (None for non-messages)."""

    message_id: int | None = None


# Neutral errors that both transports raise, so the core and the sender handle them once.
class TelegramError(Exception):
    """Base of the neutral transport errors."""


@dataclass
class RetryLater(TelegramError):
    """429: flood control; wait `seconds` before the next call."""

    seconds: float


class Unreachable(TelegramError):
    """403: the user blocked the bot or deleted the account."""


class BadRequest(TelegramError):
    """400: the request itself is wrong (message not modified, too long, not found)."""

    @property
    def not_modified(self) -> bool:
        return "not modified" in str(self)

    @property
    def message_gone(self) -> bool:
        """An edit aimed at a message that no longer exists (deleted, or never there)."""
        return "message to edit not found" in str(self).lower()  # PTB capitalises, aiogram does not


class Transient(TelegramError):
    """5xx, network failure or time-out: try again with backoff."""
