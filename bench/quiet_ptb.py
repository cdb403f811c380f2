"""The real python-telegram-bot transport (Application, Bot, our handler) with no network.

PTB's Application.initialize() asks the Bot API who the bot is (getMe); the Bot's request object
is replaced by one that answers that locally and refuses anything else. Our `call` is recorded.
"""

from __future__ import annotations

import json
from typing import Any

from telegram.request import BaseRequest, RequestData

from bench.recorder import BOT_ID, NOWHERE, TOKEN, Recorder
from bot.transports.ptb import PTBTransport
from handlers.events import Action, Sent

_ME = {"id": BOT_ID, "is_bot": True, "first_name": "Gridcare bench", "username": "gridcare_bench_bot"}


class NoNetwork(BaseRequest):
    """A request object that answers getMe and refuses every other call: nothing leaves the process."""

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        if url.endswith("/getMe"):
            return 200, json.dumps({"ok": True, "result": _ME}).encode()
        raise RuntimeError(f"the benchmark has no network: {url.rsplit('/', 1)[-1]}")


class QuietPTB(PTBTransport):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__(TOKEN, NOWHERE)
        self.recorder = recorder
        no_network = NoNetwork()
        # PTB offers no public way to swap a built Bot's request objects; the builder is inside PTBTransport.
        self.app.bot._request = (no_network, no_network)

    async def call(self, action: Action) -> Sent:
        return self.recorder.record(action)
