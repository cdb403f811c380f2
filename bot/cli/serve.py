"""Running the bot: `gridcare run` (long polling or webhook) and `gridcare sandbox`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
import signal
from pathlib import Path

import typer

from bot import migrate
from bot.app import GridcareBot, build_bot, build_runtime, key_ring, make_transport
from bot.cli.common import console, fail
from bot.cli.errors import ExitCode, schema_behind
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from bot.metrics import metrics_listen, start_metrics
from bot.miniapp.server import MiniApp, miniapp_app, mount_miniapp
from bot.outbox import SenderSettings
from bot.sandbox import start_sandbox
from bot.sandbox_chat import ScriptError, interactive, play
from bot.sqlite_lock import AlreadyRunning, DatabaseLock
from bot.webhook import WebhookServer, webhook_app

SANDBOX_FILES = "sandbox-files"  # the sandbox keeps the files the bot sends here (its database it removes)


def _settings() -> Settings:
    try:
        settings = load_settings()
    except (ConfigError, ValueError) as exc:
        raise fail(str(exc)) from None
    configure_logging(settings.log_level, json=settings.log_format == "json")
    return settings


def run_cmd(
    webhook: str | None = typer.Option(None, "--webhook", help="public HTTPS URL Telegram should post to"),
) -> None:
    """Run the bot: long polling, or a webhook server with --webhook. Without a token: the sandbox."""
    settings = _settings()
    if settings.bot_token is None:
        console.print("[yellow]GRIDCARE_BOT_TOKEN is not set: starting the local sandbox instead.[/]")
        sandbox_cmd(script=None, persons=200, files=Path(SANDBOX_FILES))
        return
    database_file = settings.sqlite_path()
    if database_file is not None:  # one bot process per SQLite file, held until this one ends
        try:
            DatabaseLock(database_file).acquire(settings.locale)
        except AlreadyRunning as exc:
            raise fail(str(exc)) from None
    try:
        if settings.is_sqlite:
            migrate.upgrade(settings.database_url, keys=key_ring(settings))
        metrics_listen(settings)  # an open metrics port without a token is refused here
        runtime = build_runtime(settings)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    current, head = migrate.current_and_head(runtime.db.engine, settings.database_url)
    if current != head:
        raise fail(schema_behind(settings, current, head), ExitCode.schema_behind)
    sending = SenderSettings(
        per_second=settings.send_per_second,
        chat_interval=settings.send_chat_interval,
        max_attempts=settings.send_max_attempts,
    )
    bot = build_bot(
        runtime,
        make_transport(settings),
        sender_settings=sending,
        tick_seconds=settings.scheduler_tick_seconds,
    )
    freeze_startup()

    async def serve() -> None:
        metrics = await start_metrics(bot)  # GRIDCARE_METRICS_LISTEN: /metrics on its own port
        try:
            if webhook is None:
                await polling_with_miniapp(bot, settings)
                return
            stopping = _stop_on_signals()
            secret = webhook_secret(settings)
            app = webhook_app(bot, secret=secret)
            mount_miniapp(app, MiniApp.of(bot))  # the Mini App under /app/, on the same server
            server = WebhookServer(app)  # time and size limits: bot/webhook.py
            # The transport first, then listen, then ask Telegram to push: its first updates find us up.
            host, port = settings.listen
            await bot.start()
            await server.start(host, port)
            try:
                await bot.transport.set_webhook(webhook, secret)
                console.print(f"webhook server on {host}:{port}, Telegram posts to {webhook}")
                await stopping.wait()
            finally:
                await server.close()  # stop taking updates and finish those in hand, then close
        finally:
            if metrics is not None:
                await metrics.close()
            await bot.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


def freeze_startup() -> None:
    """Move what start-up built (modules, classes, templates, the bot) out of the collector's sight.

    They live as long as the process, yet every full collection walked them all: 590–725 ms with
    both frameworks loaded, a pause any update arriving meanwhile waits out (BENCHMARKS.md §10,
    finding 3). Frozen, a full collection walks only what updates create. A collection first, so
    start-up's own garbage is not frozen with it (the `gc.freeze` documentation's advice).
    """
    gc.collect()
    gc.freeze()


async def polling_with_miniapp(bot: GridcareBot, settings: Settings) -> None:
    """Long polling; with GRIDCARE_MINIAPP_LISTEN, the Mini App on a server of its own meanwhile."""
    bind = settings.miniapp_bind
    if bind is None:
        await bot.run_polling()
        return
    server = WebhookServer(miniapp_app(MiniApp.of(bot)))  # the same time and size limits
    await server.start(*bind)
    console.print(f"Mini App on http://{bind[0]}:{server.port}/app/")
    try:
        await bot.run_polling()
    finally:
        await server.close()


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram must send: GRIDCARE_WEBHOOK_SECRET, or else one derived from the bot token.

    Every process of a bot calls setWebhook and the last call wins, so all of them must use the same
    secret: a random one per process would lock the others out (401 to every update they get).
    An HMAC of the token is the same in every process and unknown to anyone without the token.
    """
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    assert settings.bot_token is not None, "a webhook needs a bot token"
    token = settings.bot_token.get_secret_value().encode()
    return hmac.new(token, b"gridcare-webhook-secret", hashlib.sha256).hexdigest()


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM (a service manager or `docker stop`) or SIGINT: stop gracefully.

    Without it SIGTERM kills the process outright: updates in hand are cut off and the rows its
    sender had claimed wait for their lease to run out before another process sends them.
    """
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    return stopping


def sandbox_cmd(
    script: Path | None = typer.Option(None, "--script", exists=True, dir_okay=False, help="play and print"),
    persons: int = typer.Option(200, "--persons", min=20, help="size of the synthetic city"),
    files: Path = typer.Option(Path(SANDBOX_FILES), "--files", file_okay=False, help="where sent files go"),
) -> None:
    """Try the bot without Telegram: a local Bot API server, a synthetic city, a terminal chat.

    With --script, plays the file and prints the transcript; exits 1 if a line of it fails
    (an `expect:` the bot's answer does not meet, a button that is not there)."""
    settings = _settings()
    configure_logging("WARNING")  # the chat is the output; framework chatter would bury it

    async def main() -> None:
        sandbox = await start_sandbox(settings, persons=persons, files_dir=files)
        try:
            if script is not None:
                lines = script.read_text(encoding="utf-8").splitlines()
                await play(sandbox, lines, _plain, source=str(script))
            else:
                await interactive(sandbox, _plain)
        finally:
            await sandbox.close()

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())
    except ScriptError as exc:
        raise fail(str(exc)) from None


def register(app: typer.Typer) -> None:
    app.command("run")(run_cmd)
    app.command("sandbox")(sandbox_cmd)


def _plain(text: str) -> None:
    """Chat text verbatim: no rich markup, so brackets in messages print as they are."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)
