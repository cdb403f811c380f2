"""Running the bot: `gridcare run` (long polling or webhook) and `gridcare sandbox`."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from pathlib import Path

import typer
from aiohttp import web

from bot import migrate
from bot.app import build_bot, build_runtime, make_transport
from bot.cli.common import console, fail
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from bot.outbox import SenderSettings
from bot.sandbox import interactive, play, start_sandbox
from bot.webhook import webhook_app


def _settings() -> Settings:
    try:
        settings = load_settings()
    except (ConfigError, ValueError) as exc:
        raise fail(str(exc)) from None
    configure_logging(settings.log_level)
    return settings


def run_cmd(
    webhook: str | None = typer.Option(None, "--webhook", help="public HTTPS URL Telegram should post to"),
) -> None:
    """Run the bot: long polling, or a webhook server with --webhook. Without a token: the sandbox."""
    settings = _settings()
    if settings.bot_token is None:
        console.print("[yellow]GRIDCARE_BOT_TOKEN is not set: starting the local sandbox instead.[/]")
        sandbox_cmd(script=None, persons=200)
        return
    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)
    try:
        runtime = build_runtime(settings)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    current, head = migrate.current_and_head(runtime.db.engine, settings.database_url)
    if current != head:
        raise fail(f"schema at {current or 'nothing'}, code expects {head}: run `gridcare db upgrade` first")
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

    async def serve() -> None:
        try:
            if webhook is None:
                await bot.run_polling()
                return
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            if secret is None:
                secret = secrets.token_urlsafe(32)
                console.print("GRIDCARE_WEBHOOK_SECRET not set: using a random secret for this process")
            await bot.transport.set_webhook(webhook, secret)
            runner = web.AppRunner(webhook_app(bot, secret=secret), access_log=None)
            await runner.setup()
            host, port = settings.listen
            await web.TCPSite(runner, host, port).start()
            await bot.start_background()
            console.print(f"webhook server on {host}:{port}, Telegram posts to {webhook}")
            try:
                await asyncio.Event().wait()
            finally:
                await runner.cleanup()
        finally:
            await bot.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


def sandbox_cmd(
    script: Path | None = typer.Option(None, "--script", exists=True, dir_okay=False, help="play and print"),
    persons: int = typer.Option(200, "--persons", min=20, help="size of the synthetic city"),
) -> None:
    """Try the bot without Telegram: a local Bot API server, a synthetic city, a terminal chat."""
    settings = _settings()
    configure_logging("WARNING")  # the chat is the output; framework chatter would bury it

    async def main() -> None:
        sandbox = await start_sandbox(settings, persons=persons)
        try:
            if script is not None:
                await play(sandbox, script.read_text(encoding="utf-8").splitlines(), _plain)
            else:
                await interactive(sandbox, _plain)
        finally:
            await sandbox.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


def register(app: typer.Typer) -> None:
    app.command("run")(run_cmd)
    app.command("sandbox")(sandbox_cmd)


def _plain(text: str) -> None:
    """Chat text verbatim: no rich markup, so brackets in messages print as they are."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)
