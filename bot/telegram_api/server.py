"""The local Bot API server: Telegram's HTTP interface on 127.0.0.1, for the sandbox and e2e tests.

Usage::

    async with LocalBotApi(tokens=["123456:TEST"]) as api:
        bot = Bot("123456:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
        api.user_sends(42, "/start")
        messages = await api.wait_for_messages(42, 1)

Flood control is on by default (30 sends/s per bot, 1/s per private chat with a burst of 3,
20/min per group; see FloodLimits); pass ``flood_limits=None`` to switch it off.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from bot.telegram_api.control_http import control_routes
from bot.telegram_api.controls import Controls
from bot.telegram_api.errors import ApiError
from bot.telegram_api.flood import FloodLimits
from bot.telegram_api.methods import METHODS
from bot.telegram_api.params import Params, read_params
from bot.telegram_api.state import BotState, Call
from bot.telegram_api.updates import get_updates
from bot.telegram_api.webhook import WebhookDelivery

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\d+:\S+")
_MAX_BODY = 60 * 1024 * 1024


class LocalBotApi(Controls):
    """An emulated Telegram Bot API serving any number of bots (tokens), with a control side.

    tokens: bots known in advance; if none are given, any well-formed token is accepted and
    registered on first use, otherwise unknown tokens get 401 Unauthorized.
    """

    def __init__(
        self,
        tokens: Iterable[str] = (),
        *,
        flood_limits: FloodLimits | None = FloodLimits(),
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
    ) -> None:
        """clock drives the flood limits (a test may pass a fake one); now gives message dates."""
        super().__init__(tokens, flood_limits=flood_limits, clock=clock, now=now)
        self.host = host
        self.port = port
        self.webhooks = WebhookDelivery(self.world, webhook_attempts, webhook_retry_delay)
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.base_url = ""

    async def start(self) -> str:
        """Bind and serve; returns the base URL (http://127.0.0.1:<port>)."""
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_routes(control_routes(self))
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._closing = False
        self.webhooks.reopen()
        log.info("local Bot API listening on %s", self.base_url)
        return self.base_url

    async def stop(self) -> None:
        """Answer waiting long polls, stop webhook delivery and close the server."""
        self._closing = True
        self.world.changed.fire()
        await self.webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- the Bot API ----------------------------------------------------------------------------

    def _bot_for_token(self, token: str) -> BotState:
        bot_id = int(token.split(":", 1)[0]) if _TOKEN.fullmatch(token) else None
        known = self.world.bots.get(bot_id) if bot_id is not None else None
        if known is not None and known.token == token:
            return known
        if bot_id is None or known is not None or self.tokens:
            raise ApiError(401, "Unauthorized")
        return self.world.add_bot(token)

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        bot_id, params, status = 0, Params(), 200
        try:
            bot = self._bot_for_token(request.match_info["token"])
            bot_id = bot.id
            params = await read_params(request)
            result = await self._call(bot, method.lower(), params)
            body: dict[str, Any] = {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.error_code, error.envelope()
        except Exception:
            log.exception("local Bot API failed on %s", method)
            status, body = 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if status == 429:
            self.world.answered_429 += 1
        self.world.calls.append(Call(bot_id, method, params.loggable(), None if status == 200 else status))
        self.world.changed.fire()
        return web.json_response(body, status=status)

    async def _call(self, bot: BotState, method: str, params: Params) -> Any:
        fault = self.take_fault(bot.id, method, _chat_of(params))
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if (error := fault.to_error()) is not None:
                raise error
        if method == "getupdates":
            return await get_updates(self.world, bot, params, lambda: self._closing)
        handler = METHODS.get(method)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        result = handler(self.world, bot, params)
        if method == "setwebhook":
            self.webhooks.ensure(bot)
        return result

    async def _handle_file(self, request: web.Request) -> web.Response:
        try:
            self._bot_for_token(request.match_info["token"])
        except ApiError as error:
            return web.json_response(error.envelope(), status=error.error_code)
        stored = self.world.files.get(request.match_info["path"].rsplit("/", 1)[-1])
        if stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")


def _chat_of(params: Params) -> int | None:
    try:
        return params.get_int("chat_id")
    except ApiError:
        return None
