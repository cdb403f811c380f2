"""The webhook secret every process of one bot agrees on (they all call setWebhook; the last wins)."""

from __future__ import annotations

import re

from bot.cli.serve import webhook_secret
from bot.config import Settings


def _settings(**values: str) -> Settings:
    """Settings as given here, whatever GRIDCARE_WEBHOOK_SECRET the environment holds."""
    return Settings(database_url="sqlite:///:memory:", **{"webhook_secret": None, **values})


def test_without_a_configured_secret_every_process_of_a_bot_derives_the_same_one() -> None:
    first = webhook_secret(_settings(bot_token="123:abc"))
    assert first == webhook_secret(_settings(bot_token="123:abc"))
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", first), "Telegram's alphabet for secret_token"


def test_the_derived_secret_differs_per_bot() -> None:
    assert webhook_secret(_settings(bot_token="123:abc")) != webhook_secret(_settings(bot_token="123:abd"))


def test_a_configured_secret_is_used_as_it_is() -> None:
    assert webhook_secret(_settings(bot_token="123:abc", webhook_secret="s3cret-value")) == "s3cret-value"
