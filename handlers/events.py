"""The neutral types that cross between a transport and the core: what came in, what goes out.

What goes out (Send, Edit, ...) is defined in models.outgoing, because services queue it in the
outbox too; it is re-exported here, so handlers and transports see one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.outgoing import (
    WEB_APP,
    Action,
    AnswerCallback,
    Button,
    ChatAction,
    DeleteMessages,
    Edit,
    Keyboard,
    Send,
    SendContact,
    SendDocument,
    SendPhoto,
    SendVoice,
    SetCommands,
)

__all__ = [
    "WEB_APP",
    "Action",
    "AnswerCallback",
    "BadRequest",
    "Button",
    "ChatAction",
    "DeleteMessages",
    "Edit",
    "InKind",
    "Incoming",
    "Keyboard",
    "RetryLater",
    "Send",
    "SendContact",
    "SendDocument",
    "SendPhoto",
    "SendVoice",
    "Sent",
    "SetCommands",
    "TelegramError",
    "Transient",
    "Unreachable",
]


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
