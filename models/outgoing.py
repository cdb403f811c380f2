"""What the bot sends: one type for an outgoing message, from a handler or a service, through the
outbox, to a transport.

A handler answers an update with these (`ctx.actions`), a service queues them in the outbox
(models.services.outbox.queue: `enqueue`, stored by `to_payload`, read back by `from_payload`), and
the transports (bot/transports/) perform them. They live here, at the bottom, because services
build them too; handlers see them through handlers.events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

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


def keyboard(rows: Iterable[Iterable[tuple[str, str]]]) -> Keyboard:
    """Rows of (label, data) pairs as a keyboard."""
    return tuple(tuple(Button(str(label), str(data)) for label, data in row) for row in rows)


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
    """The answer to a button press: never queued (Telegram forgets the press within seconds)."""

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
    """A photo uploaded from `data` (a chart), or re-sent by the `file_id` Telegram gave it (a relay)."""

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


# Everything aimed at a chat: all but the answer to a button press, and all the outbox can hold.
ChatAction = Send | Edit | SendDocument | SendPhoto | SendVoice | SendContact | SetCommands | DeleteMessages
Action = ChatAction | AnswerCallback

MediaKind = Literal["photo", "voice"]


def relayed_media(
    chat_id: int, kind: MediaKind, file_id: str, caption: str | None = None, buttons: Keyboard = ()
) -> SendPhoto | SendVoice:
    """A photo or voice note Telegram already holds, sent again by its file_id (not downloaded and
    uploaded): it stays small in the outbox and arrives as media, with a caption and buttons."""
    if not file_id:
        raise ValueError("relayed media needs a file_id")
    if kind == "photo":
        return SendPhoto(chat_id, file_id=file_id, caption=caption, buttons=buttons)
    if kind == "voice":
        return SendVoice(chat_id, file_id, caption, buttons)
    raise ValueError(f"not a media kind: {kind!r}")
