"""The control side over HTTP (/_control/...), for a bot or sandbox running in another process.

POST /_control/send        {"chat_id", "text", "user"?, "bot"?}            -> {"update_id", "message_id"}
POST /_control/press       {"chat_id", "message_id", "data"} | {"chat_id", "label"} -> {"callback_query_id"}
GET  /_control/transcript/{chat_id}?count=N&timeout=S&bot=B               -> {"messages": [...]}
     (waits until the bot has sent N messages to the chat, 504 on timeout)
GET  /_control/menu/{chat_id}?bot=B                                        -> {"commands": [...]}
POST /_control/block       {"chat_id", "blocked": true|false, "bot"?}      -> {"ok": true}
POST /_control/fault       {"method", "error_code"?, "retry_after"?, "delay"?, "chat_id"?, "times"?}
POST /_control/outage      {"error_code"?, "retry_after"?, "method"?} to start; {"over": true} to end
GET  /_control/callbacks                                                   -> {"answered": {id: {...}}}
GET  /_control/stats                                    -> {"calls", "count_429", "flood_429"}
GET  /_control/files/{file_id}                                             -> the bytes
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.telegram_api.errors import Fault
from bot.telegram_api.state import ChatMessage

if TYPE_CHECKING:
    from bot.telegram_api.controls import Controls

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def message_view(message: ChatMessage) -> dict[str, Any]:
    """A transcript entry as JSON: what the user sees, plus the source text and file sizes."""
    view: dict[str, Any] = {
        "message_id": message.message_id,
        "from_bot": message.from_bot,
        "text": message.text,
        "source_text": message.source_text,
        "caption": message.caption,
        "reply_markup": message.reply_markup,
        "buttons": [list(button) for button in message.buttons],
        "edits": message.edit_count,
        "deleted": message.deleted,
    }
    for kind in ("photo", "document", "voice"):
        stored = getattr(message, kind)
        if stored is not None:
            view[kind] = {"file_id": stored.file_id, "file_name": stored.filename, "size": len(stored.data)}
    if message.contact:
        view["contact"] = message.contact
    return view


def _fail(status: int, text: str) -> web.Response:
    return web.json_response({"ok": False, "description": text}, status=status)


def _guarded(handler: Handler) -> Handler:
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (KeyError, ValueError, TypeError) as error:
            return _fail(400, f"bad control request: {error!r}")
        except LookupError as error:
            return _fail(404, str(error))

    return run


def control_routes(api: Controls) -> list[web.RouteDef]:
    """The aiohttp routes of the control API bound to one server."""

    async def send(request: web.Request) -> web.Response:
        body = await request.json()
        update = api.user_sends(
            int(body["chat_id"]), str(body["text"]), user=body.get("user"), bot=body.get("bot")
        )
        return web.json_response(
            {"update_id": update["update_id"], "message_id": update["message"]["message_id"]}
        )

    async def press(request: web.Request) -> web.Response:
        body = await request.json()
        chat_id, bot = int(body["chat_id"]), body.get("bot")
        if "label" in body:
            query_id = api.user_presses_label(chat_id, str(body["label"]), user=body.get("user"), bot=bot)
        else:
            query_id = api.user_presses(
                chat_id, int(body["message_id"]), str(body["data"]), user=body.get("user"), bot=bot
            )
        return web.json_response({"callback_query_id": query_id})

    async def transcript(request: web.Request) -> web.Response:
        chat_id, bot = int(request.match_info["chat_id"]), request.query.get("bot")
        count = int(request.query.get("count", "0"))
        if count:
            try:
                await api.wait_for_messages(chat_id, count, float(request.query.get("timeout", "5")), bot=bot)
            except TimeoutError as error:
                return _fail(504, str(error))
        messages = api.transcript(chat_id, bot=bot, include_user=request.query.get("all") == "1")
        return web.json_response({"messages": [message_view(message) for message in messages]})

    async def menu(request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        return web.json_response({"commands": api.menu(chat_id, bot=request.query.get("bot"))})

    async def block(request: web.Request) -> web.Response:
        body = await request.json()
        toggle = api.block if body.get("blocked", True) else api.unblock
        toggle(int(body["chat_id"]), bot=body.get("bot"))
        return web.json_response({"ok": True})

    async def fault(request: web.Request) -> web.Response:
        body = await request.json()
        names = {"error_code", "description", "retry_after", "delay", "chat_id"}
        injected = Fault(**{key: value for key, value in body.items() if key in names})
        api.inject_fault(str(body["method"]), injected, times=int(body.get("times", 1)), bot=body.get("bot"))
        return web.json_response({"ok": True})

    async def outage(request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("over"):
            api.end_outage()
        else:
            names = {"error_code", "description", "retry_after", "delay", "chat_id"}
            injected = Fault(**{key: value for key, value in body.items() if key in names})
            api.start_outage(injected, method=str(body.get("method", "*")), bot=body.get("bot"))
        return web.json_response({"ok": True})

    async def callbacks(request: web.Request) -> web.Response:
        answered = {key: dataclasses.asdict(value) for key, value in api.answered_callbacks.items()}
        return web.json_response({"answered": answered})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(
            {"calls": len(api.calls), "count_429": api.count_429, "flood_429": api.flood_429}
        )

    async def file(request: web.Request) -> web.Response:
        stored = api.world.files.get(request.match_info["file_id"])
        if stored is None:
            return _fail(404, "no such file")
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    return [
        web.post("/_control/send", _guarded(send)),
        web.post("/_control/press", _guarded(press)),
        web.get("/_control/transcript/{chat_id}", _guarded(transcript)),
        web.get("/_control/menu/{chat_id}", _guarded(menu)),
        web.post("/_control/block", _guarded(block)),
        web.post("/_control/fault", _guarded(fault)),
        web.post("/_control/outage", _guarded(outage)),
        web.get("/_control/callbacks", _guarded(callbacks)),
        web.get("/_control/stats", _guarded(stats)),
        web.get("/_control/files/{file_id}", _guarded(file)),
    ]
