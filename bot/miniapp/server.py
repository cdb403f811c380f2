"""The Mini App's routes on an aiohttp app: the page, its own scripts, styles and font, the API.

Mounted on the webhook server's app (`gridcare run --webhook`) or on a small server of its own
(polling, the sandbox). Every API request carries the Mini App's initData in a header, checked
here (signature, age) before anything else; the rest is handlers.miniapp, in one unit of work.
Ids travel in JSON bodies, never in the URL, and the log names the endpoint and the outcome only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import structlog
from aiohttp import web

from bot.app import GridcareBot
from handlers.context import Work
from handlers.miniapp.api import serve
from handlers.miniapp.initdata import InitDataError, WebAppUser, verify_init_data
from handlers.miniapp.replies import ApiReply
from handlers.render import Renderer
from models.clock import Clock
from models.crypto import KeyRing
from models.policy import Policy

T = TypeVar("T")
PREFIX = "/app"
INIT_HEADER = "X-Telegram-Init-Data"
STATIC = Path(__file__).resolve().parent / "static"
FONT = Path(__file__).resolve().parents[2] / "fonts" / "NotoSansCJKsc-Regular-subset.otf"
FILES = {  # name → (path, content type): nothing else is served
    "app.js": (STATIC / "app.js", "text/javascript"),
    "app.css": (STATIC / "app.css", "text/css"),
    "cjk.otf": (FONT, "font/otf"),
}
CSP = (
    "default-src 'none'; script-src 'self' https://telegram.org; style-src 'self'; font-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
)
log = structlog.get_logger("gridcare.miniapp")
RunUnit = Callable[..., Awaitable[Any]]


@dataclass
class MiniApp:
    """What the Mini App's requests need from the running bot."""

    token: str
    max_age: timedelta
    run_unit: RunUnit  # Database.run: fn(session, *args) in one unit of work
    clock: Clock
    renderer: Renderer
    policy: Policy
    keys: KeyRing | None = None
    on_queued: Callable[[], None] = field(default=lambda: None)  # wake the sender (review notices)

    @classmethod
    def of(cls, bot: GridcareBot) -> MiniApp:
        settings = bot.runtime.settings
        assert settings.bot_token is not None, "the Mini App checks initData with the bot token"
        return cls(
            token=settings.bot_token.get_secret_value(),
            max_age=timedelta(seconds=settings.miniapp_max_age),
            run_unit=bot.runtime.db.run,
            clock=bot.runtime.clock,
            renderer=bot.core.renderer,
            policy=bot.runtime.policy,
            keys=bot.runtime.keys,
            on_queued=bot.wake_sender,
        )


def _answer(session: Any, mini: MiniApp, user: WebAppUser, endpoint: str, params: dict[str, Any]) -> ApiReply:
    now = mini.clock.now()
    work = Work(now, mini.renderer, session, mini.policy, keys=mini.keys)
    return serve(work, user, endpoint, params)


def mount_miniapp(app: web.Application, mini: MiniApp, *, prefix: str = PREFIX) -> None:
    """Add the Mini App's routes under `prefix` to an app that has not started yet."""

    async def page(_request: web.Request) -> web.StreamResponse:
        return _file(STATIC / "index.html", "text/html")

    async def static(request: web.Request) -> web.StreamResponse:
        found = FILES.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        return _file(*found)

    async def api(request: web.Request) -> web.Response:
        endpoint = request.match_info["endpoint"]
        try:
            user = verify_init_data(
                request.headers.get(INIT_HEADER, ""), mini.token, now=mini.clock.now(), max_age=mini.max_age
            )
        except InitDataError as exc:
            log.info("miniapp_refused", endpoint=endpoint, reason=str(exc))
            return web.json_response({"error": "unauthorized"}, status=401)
        try:
            params = await request.json()
        except ValueError:
            params = None
        if not isinstance(params, dict):
            return web.json_response({"error": "bad_request"}, status=400)
        try:
            reply: ApiReply = await mini.run_unit(_answer, mini, user, endpoint, params)
        except Exception as exc:  # by type only: a traceback could quote what was read
            log.error("miniapp_failed", endpoint=endpoint, error=type(exc).__name__)
            return web.json_response({"error": "internal"}, status=500)
        log.info("miniapp_request", endpoint=endpoint, status=reply.status)
        if reply.status == 200:
            mini.on_queued()  # a review's notice to its author, an export sent to the chat: now
        if reply.file is not None:
            disposition = f"attachment; filename*=UTF-8''{quote(reply.filename or 'export.xlsx')}"
            return web.Response(
                body=reply.file,
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
            )
        return web.json_response(reply.body, status=reply.status, headers={"Cache-Control": "no-store"})

    async def slash(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(prefix + "/")  # relative links (static/, api/) need the slash

    app.router.add_get(prefix, slash)
    app.router.add_get(prefix + "/", page)
    app.router.add_get(prefix + "/static/{name}", static)
    app.router.add_post(prefix + "/api/{endpoint}", api)


def _file(path: Path, content_type: str) -> web.Response:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }
    charset = "utf-8" if content_type.startswith("text/") else None
    return web.Response(body=path.read_bytes(), content_type=content_type, charset=charset, headers=headers)


def miniapp_app(mini: MiniApp) -> web.Application:
    """An app serving only the Mini App (polling mode, the sandbox): JSON bodies are small."""
    app = web.Application(client_max_size=64 * 1024)
    mount_miniapp(app, mini)
    return app
