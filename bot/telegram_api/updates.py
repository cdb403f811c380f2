"""Updates: what users do (messages, button presses), and getUpdates that hands them to the bot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.telegram_api.errors import OTHER_POLLER, WEBHOOK_ACTIVE, ApiError
from bot.telegram_api.messages import message_json
from bot.telegram_api.params import Params
from bot.telegram_api.state import BotState, ChatMessage, StoredFile, World
from bot.telegram_api.text import utf16_len

MAX_POLL_TIMEOUT = 50.0


def push_update(world: World, bot: BotState, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Queue an update of the given kind for the bot and wake its pollers and webhook."""
    update = {"update_id": world.next_update_id(), kind: payload}
    bot.pending.append(update)
    world.changed.fire()
    return update


def command_entities(text: str) -> list[dict[str, Any]]:
    """A bot_command entity for a text that starts with '/', as Telegram's clients produce."""
    if not text.startswith("/") or len(text) < 2:
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]


def user_message(
    world: World,
    bot: BotState,
    chat_id: int,
    user_id: int,
    *,
    text: str | None = None,
    photo: StoredFile | None = None,
    document: StoredFile | None = None,
    voice: StoredFile | None = None,
    caption: str | None = None,
    contact: dict[str, Any] | None = None,
) -> tuple[ChatMessage, dict[str, Any]]:
    """Store a message from a user in a chat and queue the "message" update for the bot."""
    message = ChatMessage(
        chat_id=chat_id,
        message_id=world.next_message_id(bot.id, chat_id),
        date=int(world.now()),
        from_bot=False,
        sender=world.user(user_id).to_api(),
        text=text,
        source_text=text,
        entities=tuple(command_entities(text or "")),
        caption=caption,
        photo=photo,
        document=document,
        voice=voice,
        contact=contact,
    )
    bot.messages(chat_id)[message.message_id] = message
    return message, push_update(world, bot, "message", message_json(world, message))


def callback_query(
    world: World, bot: BotState, chat_id: int, user_id: int, message: ChatMessage, data: str
) -> str:
    """Queue a "callback_query" update for a button press and give back the query id."""
    query_id = world.next_query_id()
    payload = {
        "id": query_id,
        "from": world.user(user_id).to_api(),
        "chat_instance": f"ci-{bot.id}-{chat_id}",
        "message": message_json(world, message),
        "data": data,
    }
    bot.open_queries[query_id] = payload
    push_update(world, bot, "callback_query", payload)
    return query_id


def chat_member_update(world: World, bot: BotState, user_id: int, *, blocked: bool) -> dict[str, Any]:
    """Queue the "my_chat_member" update Telegram sends when a user blocks or unblocks the bot."""
    member = {"user": bot.user.to_api(), "status": "member"}
    kicked = {"user": bot.user.to_api(), "status": "kicked", "until_date": 0}
    old, new = (member, kicked) if blocked else (kicked, member)
    payload = {
        "chat": world.chat_json(user_id),
        "from": world.user(user_id).to_api(),
        "date": int(world.now()),
        "old_chat_member": old,
        "new_chat_member": new,
    }
    return push_update(world, bot, "my_chat_member", payload)


def _confirm(bot: BotState, offset: int | None) -> None:
    """Forget updates confirmed by offset; a negative offset keeps only the last -offset ones."""
    if offset is None or offset == 0:
        return
    if offset < 0:
        del bot.pending[: max(0, len(bot.pending) + offset)]
    else:
        bot.pending[:] = [update for update in bot.pending if update["update_id"] >= offset]


async def get_updates(
    world: World, bot: BotState, params: Params, closing: Callable[[], bool]
) -> list[dict[str, Any]]:
    """Long-poll for updates: answer at once if any are pending, else wait up to `timeout` seconds.

    A newer getUpdates of the same bot ends an older waiting one with 409, as on Telegram.
    `closing` is a callable telling that the server shuts down (waiters then answer empty).
    """
    if bot.webhook is not None:
        raise ApiError(409, WEBHOOK_ACTIVE)
    limit = params.get_int("limit") or 100
    if not 1 <= limit <= 100:
        limit = 100
    timeout = min(max(params.get_float("timeout"), 0.0), MAX_POLL_TIMEOUT)
    _confirm(bot, params.get_int("offset"))
    bot.poll_generation += 1
    generation = bot.poll_generation
    world.changed.fire()
    await world.changed.wait_until(
        lambda: (
            bool(bot.pending) or closing() or bot.poll_generation != generation or bot.webhook is not None
        ),
        timeout,
    )
    if bot.poll_generation != generation:
        raise ApiError(409, OTHER_POLLER)
    if bot.webhook is not None:
        raise ApiError(409, WEBHOOK_ACTIVE)
    return bot.pending[:limit]
