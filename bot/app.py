"""The composition root: builds Gridcare's runtime from settings, for the CLI, the bot and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.db import Database
from models.clock import Clock, SystemClock
from models.crypto import KeyRing


@dataclass
class Runtime:
    """Everything a command or the bot needs, built once and passed in."""

    settings: Settings
    db: Database
    keys: KeyRing
    clock: Clock = field(default_factory=SystemClock)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def close(self) -> None:
        self.db.dispose()


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """Open the database and the key ring named by the settings."""
    keys = KeyRing.parse(settings.resolve_secret_key())
    return Runtime(
        settings=settings, db=Database(settings.database_url), keys=keys, clock=clock or SystemClock()
    )
