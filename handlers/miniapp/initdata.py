"""The Mini App's `initData`: Telegram's signature checked, and its age (framework-neutral).

Telegram signs the query string it hands the page (docs: "Validating data received via the Mini
App"): `secret = HMAC_SHA256(key="WebAppData", msg=bot_token)`; the check string is every field
but `hash` (and `signature`, the third-party scheme's) as `key=value`, sorted, joined by `\\n`;
valid when `hex(HMAC_SHA256(key=secret, msg=check string))` equals `hash`. `auth_date` older than
the allowed age is refused, against the clock passed in, so a leaked initData soon stops working.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

MAX_LENGTH = 4096  # Telegram's initData is well under this; more is not Telegram's


class InitDataError(Exception):
    """initData that is missing, malformed, forged or too old; the message names which (for logs)."""


@dataclass(frozen=True)
class WebAppUser:
    """The account that opened the Mini App, as Telegram vouches for it."""

    id: int
    language_code: str | None
    auth_date: datetime


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k not in ("hash", "signature"))


def _signature(fields: dict[str, str], bot_token: str) -> str:
    return hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()


def verify_init_data(init_data: str, bot_token: str, *, now: datetime, max_age: timedelta) -> WebAppUser:
    """The user of a genuine, fresh initData; InitDataError otherwise."""
    if not init_data or len(init_data) > MAX_LENGTH:
        raise InitDataError("missing")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        raise InitDataError("malformed")
    if not hmac.compare_digest(_signature(fields, bot_token).encode(), fields["hash"].encode()):
        raise InitDataError("forged")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise InitDataError("malformed") from None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise InitDataError("malformed")
    if auth_date > now + timedelta(minutes=5) or now - auth_date > max_age:
        raise InitDataError("expired")
    language = user.get("language_code")
    return WebAppUser(user_id, language if isinstance(language, str) else None, auth_date)


def sign_init_data(
    bot_token: str, user_id: int, *, auth_date: datetime, first_name: str = "", language_code: str = "zh-hans"
) -> str:
    """A correctly signed initData for an account (the sandbox's `:app`, tests): what Telegram sends."""
    user = {"id": user_id, "first_name": first_name, "language_code": language_code}
    fields = {
        "auth_date": str(int(auth_date.timestamp())),
        "query_id": f"sandbox-{user_id}",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
    }
    return urlencode({**fields, "hash": _signature(fields, bot_token)})
