"""`gridcare`: the administrator's command line (typer + rich)."""

from bot.cli.main import app

__all__ = ["app"]
