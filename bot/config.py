"""Settings: the one place that reads the environment (prefix GRIDCARE_, optional .env)."""

from __future__ import annotations

import base64
import os
import re
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class Transport(StrEnum):
    aiogram = "aiogram"
    ptb = "ptb"


class Mode(StrEnum):
    development = "development"
    production = "production"


class LogFormat(StrEnum):
    console = "console"
    json = "json"


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and what to do."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDCARE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./gridcare.db"
    bot_token: SecretStr | None = None
    api_url: str = "https://api.telegram.org"
    transport: Transport = Transport.aiogram
    timezone: str = "Asia/Shanghai"
    locale: str = "zh_CN"
    mode: Mode = Mode.development
    secret_key: SecretStr | None = Field(
        default=None, description="Field encryption keys: 'kid:base64key[,kid:base64key...]', first is active"
    )
    clock_start: AwareDatetime | None = Field(
        default=None,
        description="start the clock at this moment and let it run on (rehearsals, tests); default: now",
    )
    rules_file: Path | None = None
    campaigns_file: Path | None = Field(default=None, description="a locality's campaign days (TOML)")
    record_window_days: int = Field(
        default=30, ge=1, le=366, description="a record may be dated this many days back (today is one)"
    )
    log_level: str = "INFO"
    log_format: LogFormat = Field(default=LogFormat.console, description="console, or json for log shippers")
    send_per_second: int = Field(default=30, description="outbox: messages per second, all chats together")
    send_chat_interval: float = Field(default=1.0, description="outbox: seconds between messages to one chat")
    send_max_attempts: int = Field(default=8, description="outbox: failed sends before a message is dead")
    flood_per_minute: int = Field(default=120, description="updates a minute per account (0: no limit)")
    flood_burst: int = Field(default=30, description="updates one account may send at once")
    sensitive_delete_hours: int = Field(
        default=0,
        ge=0,
        lt=48,
        description="delete sensitive alerts and relays from chats this many hours after sending (0: off)",
    )
    outbox_retention_days: int = Field(
        default=30, ge=3, description="outbox: sent and dead messages are deleted this many days after"
    )
    import_max_rows: int = Field(
        default=100_000, ge=1, description="gridcare import: data rows a file may hold (more: refused)"
    )
    scheduler_tick_seconds: float = Field(
        default=20.0, description="how often a process checks it leads the jobs (each fires at its own slot)"
    )
    webhook_listen: str = Field(default="127.0.0.1:8080", description="host:port the webhook server binds")
    miniapp_url: str | None = Field(
        default=None,
        description="public HTTPS address of the Mini App page (…/app/): menu and digest buttons",
    )
    miniapp_listen: str | None = Field(
        default=None, description="host:port a Mini App server binds when polling (webhook: served there)"
    )
    miniapp_max_age: int = Field(
        default=3600, ge=60, description="seconds a Mini App's initData is accepted after Telegram signed it"
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="X-Telegram-Bot-Api-Secret-Token value"
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="bearer token for /metrics (required on the webhook port)"
    )
    metrics_listen: str | None = Field(
        default=None,
        description="host:port of a /metrics server of its own, e.g. 127.0.0.1:9464 (unset: none)",
    )

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in ("zh_CN", "en"):
            raise ValueError("locale must be zh_CN or en")
        return value

    @field_validator("metrics_token", "metrics_listen", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value  # `GRIDCARE_METRICS_TOKEN=` in .env: no token, not ""

    @field_validator("miniapp_url")
    @classmethod
    def _https_app(cls, value: str | None) -> str | None:
        # Telegram refuses a web_app button or menu button to any other address: a digest carrying
        # one would not be sent at all.
        if value is not None and not value.startswith("https://"):
            raise ValueError("miniapp_url: Telegram opens Mini Apps only from https:// addresses")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("webhook secret: 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @property
    def listen(self) -> tuple[str, int]:
        host, _, port = self.webhook_listen.rpartition(":")
        return host or "127.0.0.1", int(port)

    @property
    def miniapp_bind(self) -> tuple[str, int] | None:
        if self.miniapp_listen is None:
            return None
        host, _, port = self.miniapp_listen.rpartition(":")
        return host or "127.0.0.1", int(port)

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    def sqlite_path(self) -> Path | None:
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    def resolve_secret_key(self) -> str:
        """The key ring text; for a local SQLite file outside production, generate one beside it."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.sqlite_path()
        if self.mode is Mode.production or path is None:
            raise ConfigError(
                "GRIDCARE_SECRET_KEY is not set. Generate one with `gridcare keys new` and keep it "
                "safe: without it the encrypted fields (ID number, phone, address) cannot be read."
            )
        key_file = path.with_name(path.name + ".key")
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(new_key_text("k1"))
        return key_file.read_text().strip()

    def masked(self) -> dict[str, Any]:
        """The effective settings with secrets masked, for `gridcare config show`."""
        shown: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif name == "database_url":
                value = make_url(value).render_as_string(hide_password=True)
            shown[name] = value
        return shown


def new_key_text(kid: str) -> str:
    """A fresh 256-bit key in the key-ring format `kid:base64`."""
    return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and .env, with explicit overrides (tests, CLI flags)."""
    return Settings(**overrides)
