"""The Mini App's test set-up: the digest's small city with staff accounts linked, and the Mini App
as the bot serves it, on a frozen clock at the city's moment."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.db import Database
from bot.miniapp.server import MiniApp
from models.audit import Actor
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.services.directory.invites import invite_worker, redeem
from tests.factories import TEST_KEYS
from tests.integration.digest_city import NOW, TEST_POLICY, City, build_city
from tests.support.chat import RENDERER


def city_with_accounts(session: Session, keys: KeyRing, accounts: dict[str, int]) -> City:
    """tests/integration/digest_city.py's city; each worker code in `accounts` linked to its Telegram id."""
    city = build_city(session, keys)
    for code, user_id in accounts.items():
        redeem(session, invite_worker(session, code, actor=Actor.cli(), now=NOW).code, user_id, now=NOW)
    return city


def mini_app(db: Database, token: str) -> MiniApp:
    return MiniApp(
        token=token,
        max_age=timedelta(hours=1),
        run_unit=db.run,
        clock=FrozenClock(NOW),
        renderer=RENDERER,  # shared: it only caches (tests/support/chat.py)
        policy=TEST_POLICY,
        keys=KeyRing.parse(TEST_KEYS),
    )
