"""Rendering due lists and queueing reminders in the recipient's language.

`Work.notify` covers messages whose buttons have fixed labels; a due list's buttons name people
by masked name and code, and a morning message is later edited in place, so these two go through
`queue` here: rendered in the recipient's language, then into the outbox in the same unit of work.

A list shows PAGE_LINES items a page, one button each (`why:`: why it is due, with buttons to file
it and to open the card), and at most two page buttons (/today: and two drafts): no message
carries more than 12 buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from handlers.callbacks import TodayPage
from handlers.context import Work
from handlers.events import Button, Keyboard, Send
from handlers.render import Renderer, masked
from models.services.outbox.queue import enqueue, enqueue_many, outbox_row
from models.services.reminders.due_lists import PAGE_LINES, DueLine, DueList, chat_locales
from models.services.reminders.morning import MORNING, Revision, why_data
from models.services.reminders.overdue import OVERDUE
from models.services.reminders.sending import Ladder, Morning

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


def render_page(
    renderer: Renderer, locale: str, template: str, due: DueList, page: int = 0, **view: Any
) -> Rendered:
    """A page of a due list (PAGE_LINES items, whose people the caller has named: `page_of` and
    models.services.reminders.due_lists.with_names), with its page buttons `td:<page>`."""
    pages = page_count(due)
    page = min(max(page, 0), pages - 1)
    message = render_due(renderer, locale, template, due, start=page * PAGE_LINES, paged=True, **view)
    nav = []
    if page > 0:
        nav.append((renderer.label(locale, "rp_btn_prev"), TodayPage(page - 1).pack()))
    if page + 1 < pages:
        rest = len(due.lines) - (page + 1) * PAGE_LINES
        nav.append((renderer.label(locale, "rm_btn_more").format(count=rest), TodayPage(page + 1).pack()))
    return Rendered(message.text, message.buttons + ((tuple(nav),) if nav else ()))


def page_count(due: DueList) -> int:
    return max(1, -(-len(due.lines) // PAGE_LINES))


def page_of(due: DueList, page: int) -> tuple[int, int]:
    """The first line and the number of lines of a page (clamped to the list as it is now)."""
    page = min(max(page, 0), page_count(due) - 1)
    return page * PAGE_LINES, PAGE_LINES


def render_lines(
    renderer: Renderer, locale: str, template: str, lines: Sequence[DueLine], **view: Any
) -> Rendered:
    """A message about these items: the template's text, and a button per item (up to PAGE_LINES)
    that says why it is due and offers to file it (`why:`, also how a revision knows its items)."""
    text = renderer.render(locale, template, cap=PAGE_LINES, **view)
    rows = tuple(
        ((line_label(renderer, locale, line), why_data(line.person_id, line.obligation, line.period_start)),)
        for line in lines[:PAGE_LINES]
    )
    return Rendered(text, rows)


def line_label(renderer: Renderer, locale: str, line: DueLine) -> str:
    """An item's button: colour, masked name and code, obligation (a labels format, kept cheap)."""
    labels = renderer.labels(locale)
    who = labels["rm_who"].format(name=masked(line.name), code=line.code) if line.name else line.code
    return labels["rm_btn_line_done" if line.ticked else "rm_btn_line"].format(
        dot=labels[f"rm_dot_{line.colour}"], who=who, obligation=labels[f"rm_obl_{line.obligation}"]
    )


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
        message=Send(chat_id, message.text, message.keyboard()),
        purpose=purpose,
        dedupe_key=dedupe_key,
        now=work.now,
        urgent=urgent,
        edit_of=edit_of,
    )


def queue_all(work: Work, messages: Sequence[tuple[int, Rendered, str]], *, purpose: str) -> int:
    """Many new messages (chat, message, dedupe key) into the outbox at once: how many were new."""
    rows = [
        outbox_row(
            message=Send(chat_id, message.text, message.keyboard()),
            purpose=purpose,
            dedupe_key=key,
            now=work.now,
        )
        for chat_id, message, key in messages
    ]
    return work.call(enqueue_many, rows)


# -- the reminders' pages, as the runtime's ReminderPoster (models.services.reminders.sending) ------


def post_mornings(work: Work, mornings: Sequence[Morning]) -> int:
    """Each morning list's first page, in its recipient's language, into the outbox: how many were new."""
    locales = work.call(chat_locales, [m.chat_id for m in mornings])
    messages = [
        (m.chat_id, _morning_page(work, work.renderer.locale_of(locales.get(m.chat_id)), m), m.key)
        for m in mornings
    ]
    return queue_all(work, messages, purpose=MORNING)


def revise_mornings(work: Work, revisions: Sequence[tuple[Morning, Revision]]) -> int:
    """An edit of each morning message (key `<key>:r<n+1>`) whose page shows something else now, in
    its recipient's language (read at once for all: the refresh pass compares thousands): how many."""
    locales = work.call(chat_locales, [morning.chat_id for morning, _ in revisions])
    edits = 0
    for morning, revision in revisions:
        message = _morning_page(work, work.renderer.locale_of(locales.get(morning.chat_id)), morning)
        if not message.same_as(revision.text, revision.buttons):
            key = f"{morning.key}:r{revision.number + 1}"
            edit = queue(work, morning.chat_id, message, purpose=MORNING, dedupe_key=key, edit_of=morning.key)
            edits += edit is not None
    return edits


def _morning_page(work: Work, locale: str, morning: Morning) -> Rendered:
    return render_page(
        work.renderer, locale, "reminders/morning", morning.listing, appointments=morning.appointments
    )


def post_ladders(work: Work, ladders: Sequence[Ladder]) -> int:
    """The overdue ladder's messages, each in its recipient's language: how many were new."""
    locales = work.call(chat_locales, [ladder.chat_id for ladder in ladders])
    after = work.policy.escalate_to_cadre_after_days
    messages = []
    for ladder in ladders:
        locale = work.renderer.locale_of(locales.get(ladder.chat_id))
        template = f"reminders/overdue_{ladder.step}"
        message = render_lines(work.renderer, locale, template, ladder.lines, items=ladder.items, after=after)
        messages.append((ladder.chat_id, message, ladder.key))
    return queue_all(work, messages, purpose=OVERDUE)
