"""The Mini App's initData: Telegram's signature and its age, checked without any framework."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from aiogram.utils.web_app import safe_parse_webapp_init_data

from handlers.miniapp.initdata import InitDataError, sign_init_data, verify_init_data

TOKEN = "123456:test-token"  # a test token
NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_signed_init_data_gives_its_user():
    data = sign_init_data(TOKEN, 7001, auth_date=NOW - timedelta(minutes=5), language_code="en")
    user = verify_init_data(data, TOKEN, now=NOW, max_age=HOUR)
    assert (user.id, user.language_code) == (7001, "en")


def test_our_signature_is_the_one_telegram_documents():
    """aiogram implements Telegram's scheme independently: it accepts what we sign."""
    data = sign_init_data(TOKEN, 7001, auth_date=NOW)
    assert safe_parse_webapp_init_data(TOKEN, data).user.id == 7001


def test_another_bots_token_is_forged():
    data = sign_init_data("999:other", 7001, auth_date=NOW)
    with pytest.raises(InitDataError, match="forged"):
        verify_init_data(data, TOKEN, now=NOW, max_age=HOUR)


def test_a_user_id_edited_after_signing_is_forged():
    fields = dict(parse_qsl(sign_init_data(TOKEN, 7001, auth_date=NOW)))
    fields["user"] = fields["user"].replace("7001", "7002")
    with pytest.raises(InitDataError, match="forged"):
        verify_init_data(urlencode(fields), TOKEN, now=NOW, max_age=HOUR)


def test_an_init_data_older_than_the_allowed_age_is_expired():
    data = sign_init_data(TOKEN, 7001, auth_date=NOW - HOUR - timedelta(seconds=1))
    with pytest.raises(InitDataError, match="expired"):
        verify_init_data(data, TOKEN, now=NOW, max_age=HOUR)


def test_an_init_data_signed_in_the_future_is_refused():
    data = sign_init_data(TOKEN, 7001, auth_date=NOW + timedelta(hours=2))
    with pytest.raises(InitDataError, match="expired"):
        verify_init_data(data, TOKEN, now=NOW, max_age=HOUR)


@pytest.mark.parametrize("data", ["", "hash", "a=1&a=2&hash=x", "user=%7B%7D&auth_date=1", "x" * 5000])
def test_missing_or_malformed_init_data_is_refused(data):
    with pytest.raises(InitDataError):
        verify_init_data(data, TOKEN, now=NOW, max_age=HOUR)
