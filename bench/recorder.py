"""The network-free end of the transports: actions are recorded, never sent.

The real transport classes (and so the real aiogram Dispatcher and PTB Application) carry the
updates in; only `call`, the one method that would reach Telegram, is replaced by `Recorder.record`.
"""

from __future__ import annotations

from collections import Counter
from itertools import count

from handlers.events import Action, Edit, Keyboard, Send, Sent

TOKEN = "424242:bench-token"  # not a Telegram token: nothing is ever sent with it
BOT_ID = 424242
NOWHERE = "http://127.0.0.1:9"  # the Bot API URL the transports are built with; never contacted


class Recorder:
    """Per chat, the newest keyboard the bot showed (and on which message); counts of actions by kind."""

    def __init__(self) -> None:
        self.keyboards: dict[int, tuple[int, Keyboard]] = {}
        self.actions: Counter[str] = Counter()
        self.failures = 0
        self.failure_texts: set[str] = set()  # the core's "internal error" apology, in each locale
        self._message_ids = count(1)

    def message_id(self) -> int:
        """A fresh message id (the bot's and the users' messages share one numbering, as in a chat)."""
        return next(self._message_ids)

    def record(self, action: Action) -> Sent:
        """What the transport's `call` does instead of an HTTP request."""
        self.actions[type(action).__name__] += 1
        match action:
            case Send(chat_id, text, buttons):
                message_id = self.message_id()
                if text in self.failure_texts:
                    self.failures += 1
                if buttons:
                    self.keyboards[chat_id] = (message_id, buttons)
                return Sent(message_id)
            case Edit(chat_id, message_id, _text, buttons):
                if buttons:
                    self.keyboards[chat_id] = (message_id, buttons)
                return Sent(message_id)
        return Sent()
