"""Drive the neutral core directly: a user types and presses, the test reads the actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from zoneinfo import ZoneInfo

from bot.db import Database
from handlers.core import Core
from handlers.events import Action, AnswerCallback, Edit, Incoming, InKind, Send
from handlers.render import Renderer
from handlers.setup import build_router
from models.clock import FrozenClock
from models.crypto import KeyRing
from tests.factories import TEST_KEYS

BOT_ID = 4242
_update_ids = count(1000)
# One renderer for the whole test process, as the bot has one for its whole life: it only caches
# (compiled templates, labels), and compiling every template again for each test was a sixth of the
# integration tests' time.
RENDERER = Renderer(ZoneInfo("Asia/Shanghai"))


def build_core(db: Database, clock: FrozenClock) -> Core:
    return Core(
        router=build_router(), renderer=RENDERER, clock=clock, run_unit=db.run, keys=KeyRing.parse(TEST_KEYS)
    )


@dataclass
class CoreChat:
    """One user's chat with the core; remembers the last keyboard so a test can press by label."""

    core: Core
    user_id: int
    language: str = "zh-hans"
    last: list[Action] = field(default_factory=list)
    message_ids: count = field(default_factory=lambda: count(1))

    async def say(self, text: str, *, update_id: int | None = None) -> list[Action]:
        incoming = Incoming(
            BOT_ID,
            update_id or next(_update_ids),
            InKind.message,
            self.user_id,
            self.user_id,
            language_code=self.language,
            text=text,
            message_id=next(self.message_ids),
        )
        self.last = await self.core.handle(incoming)
        return self.last

    async def press(self, data: str, *, message_id: int = 1, update_id: int | None = None) -> list[Action]:
        incoming = Incoming(
            BOT_ID,
            update_id or next(_update_ids),
            InKind.callback,
            self.user_id,
            self.user_id,
            language_code=self.language,
            callback_id=f"cb{next(_update_ids)}",
            callback_data=data,
            message_id=message_id,
        )
        self.last = await self.core.handle(incoming)
        return self.last

    def texts(self) -> list[str]:
        return [a.text for a in self.last if isinstance(a, Send | Edit)]

    def toast(self) -> str | None:
        answers = [a for a in self.last if isinstance(a, AnswerCallback)]
        return answers[0].text if answers else None

    def button(self, label_part: str) -> str:
        """The data of the first button whose label contains `label_part` in the last answer."""
        for action in self.last:
            for row in getattr(action, "buttons", ()):
                for button in row:
                    if label_part in button.text:
                        return button.data
        raise AssertionError(f"no button with {label_part!r} in {self.last!r}")
