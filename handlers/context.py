"""The context a handler works with: the update, the caller, the clock, templates, and its answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from handlers.events import Action, AnswerCallback, Button, Edit, Incoming, Keyboard, Send
from handlers.render import Renderer
from models.access import Principal
from models.policy import Policy
from models.services.identity import Identity

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Ctx:
    """One update being handled, inside its one unit of work.

    Handlers reach the database only through `call(service, ...)`, which hands the service the
    unit of work's session: the handler itself never sees it.
    """

    incoming: Incoming
    identity: Identity
    locale: str
    now: datetime
    renderer: Renderer
    _session: Any
    policy: Policy = field(default_factory=Policy)
    menu: Callable[[Principal], tuple[str, ...]] = lambda principal: ()
    actions: list[Action] = field(default_factory=list)

    def call(self, service: Callable[Concatenate[Any, P], T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a service in this update's unit of work."""
        return service(self._session, *args, **kwargs)

    @property
    def today(self) -> date:
        """The local date of this update (the configured time zone)."""
        return self.policy.local_date(self.now)

    @property
    def chat_id(self) -> int:
        return self.incoming.chat_id

    def text(self, template: str, **view: Any) -> str:
        return self.renderer.render(self.locale, template, **view)

    def label(self, key: str) -> str:
        return self.renderer.label(self.locale, key)

    def button(self, label_key: str, data: str, **view: Any) -> Button:
        return Button(self.label(label_key).format(**view) if view else self.label(label_key), data)

    def reply(self, template: str, buttons: Keyboard = (), **view: Any) -> None:
        """Send a message rendered from `template` to the caller's chat."""
        self.actions.append(Send(self.chat_id, self.text(template, **view), buttons))

    def edit(self, message_id: int, template: str, buttons: Keyboard = (), **view: Any) -> None:
        self.actions.append(Edit(self.chat_id, message_id, self.text(template, **view), buttons))

    def answer(self, template: str | None = None, *, alert: bool = False, **view: Any) -> None:
        """Answer the pressed button (stops its spinner), optionally with a short toast."""
        if self.incoming.callback_id is None:
            return
        text = self.text(template, **view) if template else None
        self.actions.append(AnswerCallback(self.incoming.callback_id, text, alert))

    def send(self, action: Action) -> None:
        self.actions.append(action)
