"""The webhook server (aiohttp): Telegram's pushes, checked for the shared secret, and /healthz.

Whoever reaches the port gets bounded time and space (issue 17.14: 800 clients trickling a header
byte a second were held for as long as they liked): the request line and headers must arrive within
`header_timeout` of connecting (or of the previous answer, on a kept-alive connection), the body
within `body_timeout`, at most `max_body` bytes of it, and at most `max_connections` connections are
open at once; a connection beyond that is answered 503 and closed.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from hmac import compare_digest

import structlog
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.app import GridcareBot
from bot.metrics import add_metrics_route
from bot.transports.base import UnreadableUpdate, log_update_error

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
log = structlog.get_logger("gridcare.webhook")
_FULL = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True)
class WebhookLimits:
    """What the webhook server grants one client. Telegram sends an update in one small request
    (a few KB) and opens at most 100 connections (setWebhook's max_connections, 40 by default)."""

    header_timeout: float = 10.0
    body_timeout: float = 10.0
    max_body: int = 256 * 1024
    max_connections: int = 200
    # After an answer that left a body unread (a 401, a 413), how long the rest may still come in
    # before the connection is closed; the client then reads the answer rather than a reset.
    linger: float = 1.0


def webhook_app(
    bot: GridcareBot, *, secret: str, path: str = "/telegram", limits: WebhookLimits | None = None
) -> web.Application:
    """Answer only requests that carry the secret; process each update before acknowledging it.

    Updates are handled in a few milliseconds, so answering after handling is safe, and a failure
    makes Telegram deliver the update again (the core ignores ids it has already processed).
    """
    limits = limits or WebhookLimits()

    async def receive(request: web.Request) -> web.StreamResponse:
        if not compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            log.warning("webhook_bad_secret")
            return web.Response(status=401, text="unauthorized")
        if (request.content_length or 0) > limits.max_body:
            return _closing(413, "too large")
        try:
            async with asyncio.timeout(limits.body_timeout):
                body = await request.read()  # client_max_size stops a chunked body past max_body
        except TimeoutError:
            log.warning("webhook_body_timeout", seconds=limits.body_timeout)
            return _closing(408, "too slow")
        except web.HTTPRequestEntityTooLarge:
            return _closing(413, "too large")
        try:
            update = json.loads(body)
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
        """Healthy or not, and nothing else: no transport, versions or errors for a prober to read."""

        def ping(session: Session) -> int:
            return session.execute(text("SELECT 1")).scalar_one()

        try:
            await bot.runtime.db.run(ping)
        except Exception as exc:
            log.error("healthz_failed", error=type(exc).__name__)
            return web.json_response({"ok": False}, status=503)
        return web.json_response({"ok": True})

    async def anonymous(_request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = "gridcare"  # not aiohttp's "Python/3.x aiohttp/3.x"

    app = web.Application(client_max_size=limits.max_body)
    app.on_response_prepare.append(anonymous)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", healthz)
    add_metrics_route(app, bot)  # /metrics, only behind GRIDCARE_METRICS_TOKEN (bot/metrics.py)
    return app


def _closing(status: int, reason: str) -> web.Response:
    response = web.Response(status=status, text=reason)
    response.force_close()
    return response


class WebhookServer:
    """The app on a TCP port, within `limits`; `start()`, then `close()` (which lets requests in
    hand finish, as aiohttp's runner does)."""

    def __init__(self, app: web.Application, limits: WebhookLimits | None = None) -> None:
        self.limits = limits or WebhookLimits()
        # aiohttp's keep-alive timer runs from the moment a connection opens and from each answer,
        # and closes the connection if no complete request head has arrived by then: the header
        # time-out. Bytes trickling in do not push it back.
        self.runner = web.AppRunner(
            app,
            access_log=None,
            keepalive_timeout=self.limits.header_timeout,
            lingering_time=self.limits.linger,
        )
        self._listener: asyncio.Server | None = None
        self._refusing = False

    async def start(self, host: str, port: int) -> None:
        await self.runner.setup()
        loop = asyncio.get_running_loop()
        try:
            self._listener = await loop.create_server(self._connection, host, port, reuse_address=True)
        except BaseException:
            await self.runner.cleanup()  # the port is taken, say: nothing is left half started
            raise

    @property
    def port(self) -> int:
        assert self._listener is not None, "not started"
        return int(self._listener.sockets[0].getsockname()[1])

    def _connection(self) -> asyncio.BaseProtocol:
        server = self.runner.server
        assert server is not None
        if len(server.connections) >= self.limits.max_connections:
            if not self._refusing:  # once per episode, not once per connection of a flood
                log.warning("webhook_connections_full", limit=self.limits.max_connections)
            self._refusing = True
            return _Refuse()
        self._refusing = False
        return server()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        await self.runner.cleanup()
        if self._listener is not None:
            await self._listener.wait_closed()
            self._listener = None


class _Refuse(asyncio.Protocol):
    """A connection beyond the limit: told 503 and closed before it can send anything."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(_FULL)
        transport.close()
