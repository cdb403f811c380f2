"""The real aiogram transport (Bot, Dispatcher, our handlers) with its one network call recorded instead."""

from __future__ import annotations

from bench.recorder import NOWHERE, TOKEN, Recorder
from bot.transports.aiogram import AiogramTransport
from handlers.events import Action, Sent


class QuietAiogram(AiogramTransport):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__(TOKEN, NOWHERE)
        self.recorder = recorder

    async def call(self, action: Action) -> Sent:
        return self.recorder.record(action)
