"""The webhook server (aiohttp): Telegram's pushes, checked for the shared secret, and /healthz."""

from __future__ import annotations

import json
from hmac import compare_digest

import structlog
from aiohttp import web
from sqlalchemy import text

from bot.app import GridcareBot
from bot.transports.base import UnreadableUpdate, log_update_error

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
log = structlog.get_logger("gridcare.webhook")


def webhook_app(bot: GridcareBot, *, secret: str, path: str = "/telegram") -> web.Application:
    """Answer only requests that carry the secret; process each update before acknowledging it.

    Updates are handled in a few milliseconds, so answering after handling is safe, and a failure
    makes Telegram deliver the update again (the core ignores ids it has already processed).
    """

    async def receive(request: web.Request) -> web.Response:
        if not compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            log.warning("webhook_bad_secret")
            return web.Response(status=401, text="unauthorized")
        try:
            update = await request.json(loads=json.loads)
        except ValueError:
            return web.Response(status=400, text="bad json")
        if not isinstance(update, dict) or "update_id" not in update:
            return web.Response(status=400, text="not an update")
        update_id = update["update_id"] if isinstance(update["update_id"], int) else None
        try:
            await bot.transport.feed(update)
        except UnreadableUpdate as exc:
            log_update_error(update_id, exc)
            return web.Response(status=400, text="not an update")
        except Exception as exc:
            # By id and type only: left to aiohttp, the traceback would quote the update. Telegram
            # sends it again, and the core ignores an update it has already committed.
            log_update_error(update_id, exc)
            return web.Response(status=500, text="not handled")
        return web.Response(text="ok")

    async def healthz(_request: web.Request) -> web.Response:
        def ping(session) -> int:  # type: ignore[no-untyped-def]
            return session.execute(text("SELECT 1")).scalar_one()

        await bot.runtime.db.run(ping)
        return web.json_response({"ok": True, "transport": bot.transport.name})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", healthz)
    return app
