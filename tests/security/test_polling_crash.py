"""Issue 17.3: in polling mode an update in hand when the bot is killed is not lost.

The bot runs as a real subprocess (tests.support.polling_process: the composition root, the real
aiogram or PTB transport, its long polling) against the project's local Bot API server, which
forgets an update once a getUpdates offset passes it, as Telegram does. The worker fills a visit
report; the child stops inside the confirm tap, its record written but not committed, and the
test waits until the child has asked for updates again before it kills the child with SIGKILL.
The frameworks' own pollers had acknowledged the tap by then (the record and the answer were lost
for good); the bot's poller keeps it, so the next process gets it again and saves it once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.telegram_api import LocalBotApi
from models.records import Record, RecordKind
from tests.e2e.harness import TRANSPORTS, local_api
from tests.security.world import build_world

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60  # seconds for a child to answer: a guard against a hung test, not a timing

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


class PollingChild:
    """One bot process polling the local server; reads its protocol lines (see polling_process)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, db_url: str, api: LocalBotApi, transport: str, now: Any, *hang: str) -> PollingChild:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.polling_process",
            db_url,
            api.base_url,
            transport,
            now.isoformat(),
            *hang,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        child = cls(proc)
        assert await child.read() == {"ready": True}
        return child

    async def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), TIMEOUT)
        assert line, f"the child ended (exit {await self.proc.wait()})"
        return json.loads(line)

    async def handled(self, update_id: int) -> None:
        """Until the child says it handled this update (it reports every update, in any order)."""
        while (said := await self.read()) != {"handled": update_id}:
            assert "hanging" not in said, said

    async def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        assert await self.proc.wait() == -signal.SIGKILL

    async def stop(self) -> None:
        if self.proc.returncode is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            assert await asyncio.wait_for(self.proc.wait(), TIMEOUT) == 0


def press(api: LocalBotApi, chat_id: int, label_part: str) -> int:
    """Press the newest button whose label contains `label_part`; the update id of the press."""
    for message in reversed(api.transcript(chat_id)):
        for label, data in message.buttons:
            if label_part in label and data:
                api.user_presses(chat_id, message.message_id, data)
                return api.bot().pending[-1]["update_id"]  # queued just now, by this press
    raise AssertionError(f"no button {label_part!r} in chat {chat_id}")


def records(db) -> list[Record]:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return list(s.scalars(select(Record)))


async def test_a_tap_in_hand_when_the_polling_bot_is_killed_is_redelivered_and_saved_once(
    db, db_url, keys, now, transport
):
    world = build_world(db, keys, now, "T", 610_000)
    worker = world.accounts["grid_worker"]
    async with local_api() as api:
        first = await PollingChild.start(db_url, api, transport, now, ":ok")
        try:
            await first.handled(api.user_sends(worker, "/my")["update_id"])
            for label in (world.code("P1"), "常规走访", "跳过", "跳过"):
                await first.handled(press(api, worker, label))
            tap = press(api, worker, "确认")
            assert await first.read() == {"hanging": tap}  # saved, not committed
            asked = len(api.calls)
            # The child asks for updates again while the tap is in hand: that getUpdates' offset
            # is where the frameworks acknowledged it.
            await api.wait_until(
                lambda: any(c.method == "getUpdates" for c in api.calls[asked:]), 10, "a getUpdates"
            )
        finally:
            await first.kill()
        assert records(db) == []
        assert tap in [u["update_id"] for u in api.bot().pending], "the tap was acknowledged: lost"
        second = await PollingChild.start(db_url, api, transport, now)
        try:
            await second.handled(tap)  # Telegram (the local server) delivers it again
            await api.wait_until(lambda: not api.bot().pending, 10, "the tap acknowledged")
        finally:
            await second.stop()
    [record] = records(db)
    assert (record.person_id, record.kind) == (world.person, RecordKind.visit)
    saved = [m for m in api.transcript(worker) if "已保存" in (m.text or "")]
    assert len(saved) == 1
