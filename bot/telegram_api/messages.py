"""Messages as the Bot API shows them, and the shared steps of every send."""

from __future__ import annotations

from typing import Any

from bot.telegram_api.errors import BLOCKED, ApiError, bad_request
from bot.telegram_api.params import Params, Upload
from bot.telegram_api.state import BotState, ChatMessage, StoredFile, World

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG; other images get a nominal 100x100."""
    if data.startswith(_PNG_SIGNATURE) and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 100, 100


def photo_json(stored: StoredFile) -> list[dict[str, Any]]:
    """The PhotoSize list of a photo (a single size)."""
    width, height = image_size(stored.data)
    size = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": width,
        "height": height,
    }
    return [{**size, "file_size": len(stored.data)}]


def document_json(stored: StoredFile) -> dict[str, Any]:
    """The Document object of a file."""
    document: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    document["file_size"] = len(stored.data)
    if stored.filename:
        document["file_name"] = stored.filename
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return document


def voice_json(stored: StoredFile) -> dict[str, Any]:
    """The Voice object of a file (the emulator does not decode audio: a nominal one-second note)."""
    voice: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "duration": 1,
        "mime_type": stored.mime_type or "audio/ogg",
    }
    voice["file_size"] = len(stored.data)
    return voice


def message_json(world: World, message: ChatMessage) -> dict[str, Any]:
    """The Message object, valid for both aiogram and python-telegram-bot."""
    data: dict[str, Any] = {
        "message_id": message.message_id,
        "from": message.sender,
        "chat": world.chat_json(message.chat_id),
        "date": message.date,
    }
    optional: dict[str, Any] = {
        "text": message.text,
        "entities": list(message.entities) or None,
        "caption": message.caption,
        "caption_entities": list(message.caption_entities) or None,
        "photo": photo_json(message.photo) if message.photo else None,
        "document": document_json(message.document) if message.document else None,
        "voice": voice_json(message.voice) if message.voice else None,
        "contact": message.contact,
        "edit_date": message.edit_date,
    }
    # Telegram returns only inline keyboards in a Message; reply keyboards live on the client.
    if message.reply_markup and "inline_keyboard" in message.reply_markup:
        optional["reply_markup"] = message.reply_markup
    data.update({key: value for key, value in optional.items() if value is not None})
    return data


def target_chat(world: World, bot: BotState, params: Params) -> int:
    """The chat_id of a call, refusing chats that blocked the bot."""
    chat_id = params.get_int("chat_id", required=True)
    assert chat_id is not None
    if chat_id in bot.blocked:
        raise ApiError(403, BLOCKED)
    if chat_id > 0:
        world.user(chat_id)
    return chat_id


def admit_send(world: World, bot: BotState, chat_id: int) -> None:
    """Apply the flood limits to a send, counting refusals."""
    if bot.flood is None:
        return
    try:
        bot.flood.admit(chat_id)
    except ApiError:
        world.flood_429 += 1
        raise


def new_bot_message(world: World, bot: BotState, chat_id: int, params: Params) -> ChatMessage:
    """A fresh message from the bot in chat_id (not yet stored)."""
    reply = params.get_json("reply_parameters") or {}
    reply_to = reply.get("message_id") if isinstance(reply, dict) else None
    return ChatMessage(
        chat_id=chat_id,
        message_id=world.next_message_id(bot.id, chat_id),
        date=int(world.now()),
        from_bot=True,
        sender=bot.user.to_api(),
        reply_to_message_id=int(reply_to) if reply_to else params.get_int("reply_to_message_id"),
    )


def store_message(world: World, bot: BotState, message: ChatMessage) -> dict[str, Any]:
    """Keep a message in its chat, wake waiters, and give back its JSON."""
    bot.messages(message.chat_id)[message.message_id] = message
    world.changed.fire()
    return message_json(world, message)


def resolve_file(world: World, value: Upload | str | None, kind: str) -> StoredFile:
    """An uploaded part, a known file_id, or an HTTP URL, as a stored file."""
    if value is None:
        raise bad_request(f"there is no {kind} in the request")
    if isinstance(value, Upload):
        return world.store_file(value.data, value.filename, value.content_type)
    if value in world.files:
        return world.files[value]
    if value.startswith(("http://", "https://")):
        return world.store_file(b"", value.rsplit("/", 1)[-1] or None, None, url=value)
    raise bad_request("wrong file identifier/HTTP URL specified")


def editable_message(bot: BotState, params: Params) -> ChatMessage:
    """The bot's own message an edit aims at."""
    if params.get_str("inline_message_id"):
        raise bad_request("message to edit not found")
    chat_id = params.get_int("chat_id", required=True)
    message_id = params.get_int("message_id", required=True)
    assert chat_id is not None and message_id is not None
    if chat_id in bot.blocked:
        raise ApiError(403, BLOCKED)
    message = bot.messages(chat_id).get(message_id)
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message
