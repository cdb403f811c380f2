"""The Mini App's settings: an address Telegram will open."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings


def test_the_mini_app_address_must_be_https_for_telegram_to_open_it():
    assert Settings(miniapp_url="https://gridcare.example/app/", _env_file=None).miniapp_url
    with pytest.raises(ValidationError, match="https"):
        Settings(miniapp_url="http://gridcare.example/app/", _env_file=None)
