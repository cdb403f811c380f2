"""The context a handler works with: the update, the caller, the clock, templates, and its answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from handlers.events import Action, AnswerCallback, Button, Edit, Incoming, Keyboard, Send, SendPhoto
from handlers.render import Renderer
from models.access import Principal
from models.crypto import KeyRing
from models.outgoing import MediaKind, keyboard, relayed_media
from models.policy import Policy
from models.services.digest.summary import Digest
from models.services.identity import Identity, chat_locale
from models.services.notify import LabelledButtons
from models.services.obligations.state import at_day
from models.services.outbox.queue import enqueue
from models.services.reminders.morning import Revision
from models.services.reminders.sending import Day, Ladder, Morning, refresh_person

if TYPE_CHECKING:  # the engine runs on a Ctx: it imports this module
    from handlers.dialogs.engine import Engine

P = ParamSpec("P")
T = TypeVar("T")

__all__ = ["Ctx", "JobContexts", "JobCtx", "LabelledButtons", "Work"]


@dataclass
class Work:
    """One unit of work of the bot: the clock, the policy, templates, and the door to the services.

    Both a user's update (Ctx) and a scheduled job (JobCtx) are one; handlers reach the database
    only through `call(service, ...)`, which hands the service the unit of work's session. It is
    the runtime's notifier (models.services.notify.Notifier): a use case is called as
    `work.call(service, work, ...)` and tells people through it.
    """

    now: datetime
    renderer: Renderer
    _session: Any
    policy: Policy
    keys: KeyRing | None = field(default=None, kw_only=True)  # to seal/open sensitive fields

    def call(self, service: Callable[Concatenate[Any, P], T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a service in this unit of work (whose changes to obligations are kept for `today`)."""
        at_day(self._session, self.today, self.policy)
        return service(self._session, *args, **kwargs)

    @property
    def today(self) -> date:
        """The local date (the configured time zone)."""
        return self.policy.local_date(self.now)

    def notify(
        self,
        chat_id: int,
        template: str,
        *,
        purpose: str,
        dedupe_key: str,
        buttons: LabelledButtons = (),
        urgent: bool = False,
        available_at: datetime | None = None,
        media: tuple[MediaKind, str] | None = None,
        **view: Any,
    ) -> int | None:
        """Queue a message to someone else (or for later), rendered in the recipient's language.

        It goes through the outbox in this unit of work: sent only if the change commits, once
        per `dedupe_key`. Returns the outbox id, or None if that key was queued before. With
        `media` (kind, Telegram's file_id) a relayed photo or voice note goes as itself, the
        template its caption (handlers.family.media.caption_text keeps a sender's words within bounds).
        """
        locale = self.renderer.locale_of(self.call(chat_locale, chat_id))
        text = self.renderer.render(locale, template, **view)
        keys = keyboard([(self.renderer.label(locale, key), data) for key, data in row] for row in buttons)
        message = Send(chat_id, text, keys) if media is None else relayed_media(chat_id, *media, text, keys)
        return self.call(
            enqueue,
            message=message,
            purpose=purpose,
            dedupe_key=dedupe_key,
            now=self.now,
            available_at=available_at,
            urgent=urgent,
        )

    def tick_off(self, person_id: int) -> int:
        """Bring the morning list naming this person up to date (Notifier.tick_off)."""
        day = Day(self.now, self.today, self.policy)
        return self.call(refresh_person, self, person_id, day)

    # The reminders' pages (models.services.reminders.sending.ReminderPoster) are drawn by the
    # reminders feature, which builds on this module: imported when first used.

    def post_mornings(self, mornings: Sequence[Morning]) -> int:
        from handlers.reminders import views

        return views.post_mornings(self, mornings)

    def revise_mornings(self, revisions: Sequence[tuple[Morning, Revision]]) -> int:
        from handlers.reminders import views

        return views.revise_mornings(self, revisions)

    def post_ladders(self, ladders: Sequence[Ladder]) -> int:
        from handlers.reminders import views

        return views.post_ladders(self, ladders)

    def post_digest(self, chat_id: int, digest: Digest, *, dedupe_key: str) -> None:
        """Queue a supervisor's digest in their language: the chart, then its texts, the buttons under
        the last (models.services.digest.sending.DigestPoster)."""
        # The digest is drawn by the supervisor feature, which builds on this module.
        from handlers.supervisor.digest import digest_messages

        locale = self.renderer.locale_of(self.call(chat_locale, chat_id))
        messages = digest_messages(
            self.renderer, locale, digest, can_review=True, app_url=self.policy.miniapp_url
        )
        common = {"purpose": "digest", "now": self.now}
        chart = SendPhoto(chat_id, data=messages.chart, caption=messages.caption)
        self.call(enqueue, message=chart, dedupe_key=f"{dedupe_key}:chart", **common)
        for n, text in enumerate(messages.texts, start=1):
            buttons = messages.keyboard() if n == len(messages.texts) else ()
            key = dedupe_key if n == 1 else f"{dedupe_key}:{n}"
            self.call(enqueue, message=Send(chat_id, text, buttons), dedupe_key=key, **common)


@dataclass
class JobCtx(Work):
    """A scheduled job's unit of work: no caller, no chat; it speaks through `notify`."""


@dataclass(frozen=True)
class JobContexts:
    """The one factory of a job's unit of work, for the scheduler's jobs and the CLI's commands."""

    renderer: Renderer
    policy: Policy
    keys: KeyRing | None = None

    def __call__(self, session: Any, now: datetime) -> JobCtx:
        return JobCtx(now=now, renderer=self.renderer, _session=session, policy=self.policy, keys=self.keys)


@dataclass
class Ctx(Work):
    """One update being handled, inside its one unit of work."""

    incoming: Incoming = field(kw_only=True)
    identity: Identity = field(kw_only=True)
    locale: str = field(kw_only=True)
    dialogs: Engine = field(kw_only=True)  # the forms: `ctx.dialogs.start(ctx, "visit", {...})`
    menu: Callable[[Principal], tuple[str, ...]] = field(default=lambda principal: (), kw_only=True)
    actions: list[Action] = field(default_factory=list, kw_only=True)

    @property
    def chat_id(self) -> int:
        return self.incoming.chat_id

    def text(self, template: str, **view: Any) -> str:
        return self.renderer.render(self.locale, template, **view)

    def plain(self, template: str, **view: Any) -> str:
        """A text for a button label (plain, not HTML): names in it come out as typed."""
        return self.renderer.render_plain(self.locale, template, **view)

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
        """Answer the pressed button (stops its spinner), optionally with a short toast (plain text)."""
        if self.incoming.callback_id is None:
            return
        text = self.plain(template, **view) if template else None
        self.actions.append(AnswerCallback(self.incoming.callback_id, text, alert))

    def send(self, action: Action) -> None:
        self.actions.append(action)
