"""Rendering due lists and queueing reminders in the recipient's language.

`Work.notify` covers messages whose buttons have fixed labels; a due list's buttons name people
by code, and a morning message is later edited in place, so these two go through `queue` here:
rendered in the recipient's language, then into the outbox in the same unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from handlers.context import Work
from handlers.events import Button, Keyboard
from handlers.render import Renderer
from models.services.identity import chat_locale
from models.services.outbox import edit_payload, enqueue, enqueue_many, outbox_row, send_payload
from models.services.reminders import DueLine, DueList
from models.services.reminders_morning import why_data

MAX_LINES = 30  # items shown with buttons (and in the text): two buttons each, ~60 of Telegram's 100

ButtonRows = tuple[tuple[tuple[str, str], ...], ...]  # rows of (label, data)


@dataclass(frozen=True)
class Rendered:
    """A message ready for the outbox: text and buttons (label, data), in one language."""

    text: str
    buttons: ButtonRows

    def keyboard(self) -> Keyboard:
        return tuple(tuple(Button(label, data) for label, data in row) for row in self.buttons)

    def same_as(self, text: str, buttons: Any) -> bool:
        """Whether a stored payload shows exactly this (then an edit would change nothing)."""
        stored = tuple(tuple((str(label), str(data)) for label, data in row) for row in buttons or ())
        return text == self.text and stored == self.buttons


def render_due(
    renderer: Renderer, locale: str, template: str, due: DueList, *, start: int = 0, **view: Any
) -> Rendered:
    """A due list as text, and per item a button to the person and a "why" button; from `start`
    on, for a page of a long list."""
    return render_lines(renderer, locale, template, due.lines[start:], due=due, start=start, **view)


def render_lines(
    renderer: Renderer, locale: str, template: str, lines: Sequence[DueLine], **view: Any
) -> Rendered:
    """A message about these items: the template's text, and two buttons per item (up to MAX_LINES)."""
    text = renderer.render(locale, template, cap=MAX_LINES, **view)
    why = renderer.label(locale, "rm_btn_why")
    rows = tuple(
        (
            (line_label(renderer, locale, line), f"p:{line.person_id}"),
            (why, why_data(line.person_id, line.obligation, line.period_start)),
        )
        for line in lines[:MAX_LINES]
    )
    return Rendered(text, rows)


def line_label(renderer: Renderer, locale: str, line: DueLine) -> str:
    """An item's button: colour, code, obligation (a labels format: many per message, kept cheap)."""
    labels = renderer.labels(locale)
    return labels["rm_btn_line_done" if line.ticked else "rm_btn_line"].format(
        dot=labels[f"rm_dot_{line.colour}"], code=line.code, obligation=labels[f"rm_obl_{line.obligation}"]
    )


def locale_for(work: Work, chat_id: int) -> str:
    """The language of a chat (its choice, else its account's, else the default)."""
    return work.renderer.locale_of(work.call(chat_locale, chat_id))


def queue(
    work: Work,
    chat_id: int,
    message: Rendered,
    *,
    purpose: str,
    dedupe_key: str,
    edit_of: str | None = None,
    urgent: bool = False,
) -> int | None:
    """Into the outbox once per key: a new message, or (edit_of) a new text for an earlier one."""
    return work.call(
        enqueue,
        chat_id=chat_id,
        purpose=purpose,
        dedupe_key=dedupe_key,
        payload=_payload(message, edit_of),
        now=work.now,
        urgent=urgent,
    )


def queue_all(work: Work, messages: Sequence[tuple[int, Rendered, str]], *, purpose: str) -> int:
    """Many new messages (chat, message, dedupe key) into the outbox at once: how many were new."""
    rows = [
        outbox_row(chat_id=chat_id, purpose=purpose, dedupe_key=key, payload=_payload(message), now=work.now)
        for chat_id, message, key in messages
    ]
    return work.call(enqueue_many, rows)


def _payload(message: Rendered, edit_of: str | None = None) -> dict[str, Any]:
    return (
        edit_payload(edit_of, message.text, message.buttons)
        if edit_of
        else send_payload(message.text, message.buttons)
    )
