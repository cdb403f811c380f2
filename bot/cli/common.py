"""What every command shares: settings, the runtime, and rich output."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.app import Runtime, build_runtime
from bot.config import ConfigError, load_settings
from bot.logs import configure_logging

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", soft_wrap=True)  # one line, however long
    return typer.Exit(code)


def progress_bar() -> Progress:
    """A progress bar for a long command: what it does, the bar, done of total, time taken."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@contextmanager
def runtime() -> Iterator[Runtime]:
    """The runtime for one command, closed at the end; configuration errors end the command cleanly."""
    try:
        settings = load_settings()
        configure_logging(settings.log_level, json=settings.log_format == "json")
        rt = build_runtime(settings)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    try:
        yield rt
    finally:
        rt.close()
