"""Several real `gridcare run --webhook` processes behind one address, as a deployment runs them.

* `RoundRobinProxy` stands in for nginx: one address; each POST goes to the next backend with the
  secret header passed through, and the backend's answer goes back unchanged (so Telegram, here
  the local Bot API server, acknowledges an update only once a process has handled it). It notes
  which backend got which update.
* `BotProcess` is one `gridcare run --webhook URL` subprocess (the venv's console script, exactly
  the README's command) with its own listen port; its log goes to a file the test reads.
* `WebhookUser` acts as a person at a Telegram client of the local server and waits for each
  update to be delivered through the webhook (and so answered), never for a fixed time.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.telegram_api import ChatMessage, LocalBotApi
from bot.webhook import SECRET_HEADER

_JOB_DONE = re.compile(r"\bjob_done\b.*?\bjob=(\S+).*?\brun_key=(\S+)")


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def daytime_zone(now: datetime, hour: int = 13) -> str:
    """A fixed-offset zone (Etc/GMT±n) in which `now` falls in the hour `hour`, local time.

    The processes run on the real clock; in such a zone quiet hours (21:00-08:00) hold nothing
    back and the daily jobs keyed from the morning are due, whatever the hour the test runs at.
    """
    offset = hour - now.hour  # -10 .. +13: within the zones that exist (UTC-12 .. UTC+14)
    return f"Etc/GMT{-offset:+d}"  # POSIX sign: Etc/GMT-8 is eight hours ahead of UTC


class RoundRobinProxy:
    """One address in front of several webhook servers; counts what each got."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.routes: dict[int, int] = {}  # update id -> index of the backend that answered it
        self.statuses: Counter[int] = Counter()
        self._forwarded = 0  # backends may be added after start: the turn is counted, not cycled
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> str:
        """Listen on a free port; returns the base URL."""
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/{path:.*}", self._forward)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        index = self._forwarded % len(self.backends)
        self._forwarded += 1
        body = await request.read()
        headers = {
            name: request.headers[name] for name in (SECRET_HEADER, "Content-Type") if name in request.headers
        }
        try:
            async with self._session.post(
                self.backends[index] + request.path, data=body, headers=headers
            ) as got:
                status, answer = got.status, await got.read()
        except aiohttp.ClientError:
            status, answer = 502, b"bad gateway"
        self.statuses[status] += 1
        if 200 <= status < 300:
            self.routes[json.loads(body)["update_id"]] = index
        return web.Response(status=status, body=answer)


@dataclass
class BotProcess:
    """One `gridcare run --webhook` process; `env` holds its GRIDCARE_* settings."""

    name: str
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes]

    @classmethod
    def start(cls, name: str, webhook_url: str, env: dict[str, str], workdir: Path) -> BotProcess:
        """Start it in `workdir` (no stray .env), with only the given GRIDCARE_* variables."""
        port = free_port()
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("GRIDCARE_")}
        full_env = {
            **inherited,
            **env,
            "GRIDCARE_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        gridcare = Path(sys.executable).with_name("gridcare")
        log_path = workdir / f"{name}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [str(gridcare), "run", "--webhook", webhook_url],
                cwd=workdir,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return cls(name, port, log_path, proc)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, http: aiohttp.ClientSession, timeout: float = 90) -> None:
        """Poll GET /healthz until it answers 200 (the database answered too); fail if it exits.

        Generous: importing the bot takes seconds, more on a loaded machine.
        """
        try:
            async with asyncio.timeout(timeout):
                while not await self._healthy(http):
                    if self.proc.poll() is not None:
                        raise AssertionError(
                            f"{self.name} exited {self.proc.returncode}:\n{self.log()[-3000:]}"
                        )
                    await asyncio.sleep(0.05)  # the pace of the polls, not a wait for something to happen
        except TimeoutError:
            raise AssertionError(f"{self.name} not ready within {timeout} s:\n{self.log()[-3000:]}") from None

    async def _healthy(self, http: aiohttp.ClientSession) -> bool:
        try:
            async with http.get(f"{self.url}/healthz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def jobs_done(self) -> list[tuple[str, str]]:
        """(job, run key) of every scheduled job run this process logged."""
        return [(m.group(1), m.group(2)) for m in _JOB_DONE.finditer(self.log())]

    def led(self) -> bool:
        """Whether this process won the scheduler's lock at some point."""
        return "scheduler_leader" in self.log()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as a service manager stops it; the exit code (0: it shut down cleanly)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name} did not stop on SIGTERM within {timeout} s") from None


@dataclass
class WebhookUser:
    """A person at a Telegram client of the local server, talking to a bot that has a webhook."""

    api: LocalBotApi
    user_id: int
    sent: list[int] = field(default_factory=list)  # update ids, in the order the user made them

    def send(self, text: str) -> int:
        """Type a message without waiting for the bot; its update id."""
        update_id = self.api.user_sends(self.user_id, text)["update_id"]
        self.sent.append(update_id)
        return update_id

    async def say(self, text: str) -> None:
        """Type a message and wait until the bot has answered it."""
        await self.delivered(self.send(text))

    async def press(self, label_part: str, *, on: str) -> None:
        """Press the button whose label contains `label_part` on the newest message saying `on`."""
        for message in reversed(self.transcript()):
            if on not in (message.text or ""):
                continue
            for label, data in message.buttons:
                if label_part in label and data:
                    self.api.user_presses(self.user_id, message.message_id, data)
                    update_id = self.api.bot().pending[-1]["update_id"]  # queued just now, in this call
                    self.sent.append(update_id)
                    await self.delivered(update_id)
                    return
        raise AssertionError(f"no button {label_part!r} on a message saying {on!r} in chat {self.user_id}")

    async def delivered(self, update_id: int, timeout: float = 20) -> None:
        """Until the server has handed the update over (the webhook answered: it was processed)."""
        bot = self.api.bot()
        await self.api.wait_until(
            lambda: all(u["update_id"] != update_id for u in bot.pending), timeout, f"update {update_id}"
        )

    def transcript(self) -> list[ChatMessage]:
        return self.api.transcript(self.user_id)

    def texts(self) -> list[str]:
        return [m.text or "" for m in self.transcript()]
