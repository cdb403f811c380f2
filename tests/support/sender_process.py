"""A sender in a process of its own, as one of several bot processes would run it.

    python -m tests.support.sender_process DB_URL API_URL TRANSPORT LEASE_SECONDS

Real time, no quiet hours; runs until SIGTERM (or SIGKILL, which is the point of some tests).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import time

from bot.app import make_transport
from bot.config import Settings
from bot.db import Database
from bot.outbox import Sender, SenderSettings
from models.clock import SystemClock
from models.policy import Policy
from tests.e2e.harness import TOKEN
from tests.factories import TEST_KEYS


async def main(db_url: str, api_url: str, transport: str, lease: float) -> None:
    settings = Settings(
        database_url=db_url, bot_token=TOKEN, api_url=api_url, transport=transport, secret_key=TEST_KEYS
    )
    database = Database(db_url)
    always = Policy(quiet_from=time(0), quiet_until=time(0))
    async with make_transport(settings) as client:
        sender = Sender(
            database,
            client,
            clock=SystemClock(),
            policy=always,
            settings=SenderSettings(lease=lease, poll_interval=0.05),
        )
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await sender.start()
        await stop.wait()
        await sender.stop()
    database.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
