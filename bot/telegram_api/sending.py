"""The Bot API methods that put something in a chat: sends, edits, deletions, button answers."""

from __future__ import annotations

from typing import Any

from bot.telegram_api.errors import NOT_MODIFIED, QUERY_INVALID, ApiError, bad_request
from bot.telegram_api.messages import (
    admit_send,
    editable_message,
    new_bot_message,
    resolve_file,
    store_message,
    target_chat,
)
from bot.telegram_api.params import Params
from bot.telegram_api.state import AnsweredCallback, BotState, ChatMessage, World
from bot.telegram_api.text import caption_text, check_reply_markup, message_text, same_markup


def send_message(world: World, bot: BotState, params: Params) -> Any:
    """Send a text message, enforcing Telegram's text, keyboard and flood rules."""
    chat_id = target_chat(world, bot, params)
    source = params.get_str("text")
    parse_mode = params.get_str("parse_mode")
    formatted = message_text(source, parse_mode, params.get_json("entities"))
    markup = check_reply_markup(params.get_json("reply_markup"))
    admit_send(world, bot, chat_id)
    message = new_bot_message(world, bot, chat_id, params)
    message.set_text(formatted, source or "", parse_mode)
    message.reply_markup = markup
    return store_message(world, bot, message)


def _send_file(world: World, bot: BotState, params: Params, kind: str) -> Any:
    chat_id = target_chat(world, bot, params)
    caption = caption_text(
        params.get_str("caption"), params.get_str("parse_mode"), params.get_json("caption_entities")
    )
    markup = check_reply_markup(params.get_json("reply_markup"))
    stored = resolve_file(world, params.get_file(kind), kind)
    admit_send(world, bot, chat_id)
    message = new_bot_message(world, bot, chat_id, params)
    message.set_caption(caption)
    message.reply_markup = markup
    if kind == "photo":
        message.photo = stored
    elif kind == "voice":
        message.voice = stored
    else:
        message.document = stored
    return store_message(world, bot, message)


def send_photo(world: World, bot: BotState, params: Params) -> Any:
    """Send a photo (uploaded, attach://, file_id or URL); the bytes are kept."""
    return _send_file(world, bot, params, "photo")


def send_document(world: World, bot: BotState, params: Params) -> Any:
    """Send a document (uploaded, attach://, file_id or URL); the bytes are kept."""
    return _send_file(world, bot, params, "document")


def send_voice(world: World, bot: BotState, params: Params) -> Any:
    """Send a voice message (uploaded, attach://, file_id or URL); the bytes are kept."""
    return _send_file(world, bot, params, "voice")


def send_contact(world: World, bot: BotState, params: Params) -> Any:
    """Send a contact card."""
    chat_id = target_chat(world, bot, params)
    contact = {
        "phone_number": params.get_str("phone_number", required=True),
        "first_name": params.get_str("first_name", required=True),
    }
    for key in ("last_name", "vcard"):
        if params.get_str(key):
            contact[key] = params.get_str(key)
    markup = check_reply_markup(params.get_json("reply_markup"))
    admit_send(world, bot, chat_id)
    message = new_bot_message(world, bot, chat_id, params)
    message.contact = contact
    message.reply_markup = markup
    return store_message(world, bot, message)


def edit_message_text(world: World, bot: BotState, params: Params) -> Any:
    """Edit a text; an absent reply_markup removes the inline keyboard, as on Telegram."""
    message = editable_message(bot, params)
    source = params.get_str("text")
    parse_mode = params.get_str("parse_mode")
    formatted = message_text(source, parse_mode, params.get_json("entities"))
    markup = check_reply_markup(params.get_json("reply_markup"), inline_only=True)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    if formatted.text == message.text and formatted.entities == message.entities:
        _refuse_if_same_markup(message.reply_markup, markup)
    message.set_text(formatted, source or "", parse_mode)
    return _edited(world, bot, message, markup)


def edit_message_caption(world: World, bot: BotState, params: Params) -> Any:
    """Edit the caption of a photo or document."""
    message = editable_message(bot, params)
    caption = caption_text(
        params.get_str("caption"), params.get_str("parse_mode"), params.get_json("caption_entities")
    )
    markup = check_reply_markup(params.get_json("reply_markup"), inline_only=True)
    if message.photo is None and message.document is None and message.voice is None:
        raise bad_request("there is no caption in the message to edit")
    same = (caption.text if caption else None) == message.caption
    if same and (caption.entities if caption else ()) == message.caption_entities:
        _refuse_if_same_markup(message.reply_markup, markup)
    message.set_caption(caption)
    return _edited(world, bot, message, markup)


def edit_message_reply_markup(world: World, bot: BotState, params: Params) -> Any:
    """Replace the inline keyboard; without reply_markup the keyboard is removed."""
    message = editable_message(bot, params)
    markup = check_reply_markup(params.get_json("reply_markup"), inline_only=True)
    _refuse_if_same_markup(message.reply_markup, markup)
    return _edited(world, bot, message, markup)


def _refuse_if_same_markup(old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    if same_markup(old, new):
        raise ApiError(400, NOT_MODIFIED)


def _edited(world: World, bot: BotState, message: ChatMessage, markup: dict[str, Any] | None) -> Any:
    message.reply_markup = markup
    message.edit_count += 1
    message.edit_date = int(world.now())
    return store_message(world, bot, message)


def delete_message(world: World, bot: BotState, params: Params) -> Any:
    """Delete a message of the chat (the transcript keeps it, marked deleted)."""
    chat_id = params.get_int("chat_id", required=True)
    message_id = params.get_int("message_id", required=True)
    assert chat_id is not None and message_id is not None
    message = bot.messages(chat_id).get(message_id)
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    message.deleted = True
    world.changed.fire()
    return True


DELETE_MANY_MAX = 100  # ids per deleteMessages call
DELETABLE_FOR = 48 * 3600  # seconds: Telegram lets a bot delete its messages this long


def delete_messages(world: World, bot: BotState, params: Params) -> Any:
    """Delete 1-100 messages at once; ids that are missing, already deleted, the user's own or older
    than 48 h are skipped silently, as Telegram does (the transcript keeps them, marked deleted)."""
    chat_id = params.get_int("chat_id", required=True)
    assert chat_id is not None
    ids = params.get_json("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message_ids is empty")
    if len(ids) > DELETE_MANY_MAX:
        raise bad_request("too many message identifiers specified")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise bad_request("invalid message identifiers specified")
    messages = bot.messages(chat_id)
    oldest = world.now() - DELETABLE_FOR
    for message_id in ids:
        message = messages.get(message_id)
        if message is not None and message.from_bot and not message.deleted and message.date >= oldest:
            message.deleted = True
    world.changed.fire()
    return True


def answer_callback_query(world: World, bot: BotState, params: Params) -> Any:
    """Answer a button press once; unknown or already answered ids are refused like Telegram does."""
    query_id = params.get_str("callback_query_id", required=True)
    assert query_id is not None
    if bot.open_queries.pop(query_id, None) is None:
        raise ApiError(400, QUERY_INVALID)
    bot.answered[query_id] = AnsweredCallback(
        query_id,
        params.get_str("text"),
        params.get_bool("show_alert"),
        params.get_str("url"),
        params.get_int("cache_time") or 0,
    )
    world.changed.fire()
    return True


def send_chat_action(world: World, bot: BotState, params: Params) -> Any:
    """Typing... indicators: checked for blocked chats, otherwise only logged."""
    target_chat(world, bot, params)
    params.get_str("action", required=True)
    return True
