"""The table of Bot API methods, and those about the bot itself (commands, webhook, chats, files).

Sends and edits live in sending.py; getUpdates, which may wait, in updates.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.telegram_api import sending
from bot.telegram_api.errors import bad_request
from bot.telegram_api.params import Params
from bot.telegram_api.state import BotState, Webhook, World

Method = Callable[[World, BotState, Params], Any]
CommandKey = tuple[str, int | None, int | None, str]

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def get_me(world: World, bot: BotState, params: Params) -> Any:
    """The bot's own User, with the bot-only flags."""
    return {
        **bot.user.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def command_scope_key(scope: Any, language_code: str | None) -> CommandKey:
    """A hashable key for a BotCommandScope and a language."""
    scope = scope if isinstance(scope, dict) else {"type": "default"}
    chat_id, user_id = scope.get("chat_id"), scope.get("user_id")
    return (
        str(scope.get("type", "default")),
        int(chat_id) if chat_id is not None else None,
        int(user_id) if user_id is not None else None,
        language_code or "",
    )


def set_my_commands(world: World, bot: BotState, params: Params) -> Any:
    """Set the command menu of a scope and language; an empty list clears it."""
    commands = params.get_json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = command_scope_key(params.get_json("scope"), params.get_str("language_code"))
    clean = [{"command": c["command"], "description": c["description"]} for c in commands]
    if clean:
        bot.commands[key] = clean
    else:
        bot.commands.pop(key, None)
    world.changed.fire()
    return True


def get_my_commands(world: World, bot: BotState, params: Params) -> Any:
    """The commands set for exactly this scope and language."""
    key = command_scope_key(params.get_json("scope"), params.get_str("language_code"))
    return bot.commands.get(key, [])


def delete_my_commands(world: World, bot: BotState, params: Params) -> Any:
    """Clear the commands of a scope and language."""
    bot.commands.pop(command_scope_key(params.get_json("scope"), params.get_str("language_code")), None)
    world.changed.fire()
    return True


def set_webhook(world: World, bot: BotState, params: Params) -> Any:
    """Set (or with an empty url, remove) the webhook; delivery is started by the server."""
    url = params.get_str("url")
    if not url:
        return delete_webhook(world, bot, params)
    secret = params.get_str("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    allowed = params.get_json("allowed_updates")
    bot.webhook = Webhook(
        url,
        secret,
        params.get_int("max_connections") or 40,
        tuple(allowed) if isinstance(allowed, list) else None,
    )
    if params.get_bool("drop_pending_updates"):
        bot.pending.clear()
    bot.webhook_error = None
    world.changed.fire()
    return True


def delete_webhook(world: World, bot: BotState, params: Params) -> Any:
    """Remove the webhook; updates then wait for getUpdates."""
    bot.webhook = None
    if params.get_bool("drop_pending_updates"):
        bot.pending.clear()
    world.changed.fire()
    return True


def get_webhook_info(world: World, bot: BotState, params: Params) -> Any:
    """The WebhookInfo object."""
    info: dict[str, Any] = {
        "url": bot.webhook.url if bot.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.pending),
    }
    if bot.webhook:
        info["max_connections"] = bot.webhook.max_connections
        if bot.webhook.allowed_updates is not None:
            info["allowed_updates"] = list(bot.webhook.allowed_updates)
    if bot.webhook_error:
        info["last_error_date"], info["last_error_message"] = bot.webhook_error
    return info


def get_chat(world: World, bot: BotState, params: Params) -> Any:
    """A minimal ChatFullInfo of a known chat."""
    chat_id = params.get_int("chat_id", required=True)
    assert chat_id is not None
    if chat_id > 0 and chat_id not in world.users:
        raise bad_request("chat not found")
    gifts = dict.fromkeys(
        ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"),
        False,
    )
    return {
        **world.chat_json(chat_id),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": gifts,
    }


def get_file(world: World, bot: BotState, params: Params) -> Any:
    """A File whose file_path can be downloaded from /file/bot<token>/<file_path>."""
    file_id = params.get_str("file_id", required=True)
    stored = world.files.get(file_id or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": f"files/{stored.file_id}",
    }


def accept(world: World, bot: BotState, params: Params) -> Any:
    """Methods the emulator accepts and ignores (descriptions, menu button, logOut, close)."""
    return True


METHODS: dict[str, Method] = {
    "getme": get_me,
    "sendmessage": sending.send_message,
    "sendphoto": sending.send_photo,
    "senddocument": sending.send_document,
    "sendvoice": sending.send_voice,
    "sendcontact": sending.send_contact,
    "editmessagetext": sending.edit_message_text,
    "editmessagecaption": sending.edit_message_caption,
    "editmessagereplymarkup": sending.edit_message_reply_markup,
    "deletemessage": sending.delete_message,
    "deletemessages": sending.delete_messages,
    "answercallbackquery": sending.answer_callback_query,
    "sendchataction": sending.send_chat_action,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "getchat": get_chat,
    "getfile": get_file,
    **dict.fromkeys(
        ("setmydescription", "setmyshortdescription", "setmyname", "setchatmenubutton", "logout", "close"),
        accept,
    ),
}
