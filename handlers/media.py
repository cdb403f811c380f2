"""Queueing a photo or voice note for someone else, by the file_id Telegram gave it, with a rendered caption.

Work.notify queues text; a relayed photo or voice note must arrive as itself, so this is its twin for
media: the caption is a template rendered in the recipient's language (never the sender's account),
the buttons are labelled in that language, and the row commits with the unit of work or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.context import LabelledButtons, Work
from models.services.identity import chat_locale
from models.services.outbox import enqueue
from models.services.outbox_media import MediaKind, media_payload

# Room left for the template's own lines (header, relation, time) under Telegram's 1024 limit.
CAPTION_TEXT_MAX = 800


def caption_text(text: str | None) -> str | None:
    """A sender's words cut to fit a caption (the whole text stays in the thread)."""
    if text is None or len(text) <= CAPTION_TEXT_MAX:
        return text
    return text[: CAPTION_TEXT_MAX - 1] + "…"


def notify_media(
    work: Work,
    chat_id: int,
    kind: MediaKind,
    file_id: str,
    template: str,
    /,
    *,
    purpose: str,
    dedupe_key: str,
    buttons: LabelledButtons = (),
    urgent: bool = False,
    available_at: datetime | None = None,
    **view: Any,
) -> int | None:
    """Queue a photo or voice note whose caption is `template` rendered for the recipient.

    Returns the outbox id, or None if `dedupe_key` was queued before (as Work.notify does). The first
    five are positional-only, so the template's view may use names like `kind` too.
    """
    renderer = work.renderer
    locale = renderer.locale_of(work.call(chat_locale, chat_id))
    caption = renderer.render(locale, template, **view)
    rows = [[(renderer.label(locale, key), data) for key, data in row] for row in buttons]
    return work.call(
        enqueue,
        chat_id=chat_id,
        purpose=purpose,
        dedupe_key=dedupe_key,
        payload=media_payload(kind, file_id, caption, rows),
        now=work.now,
        available_at=available_at,
        urgent=urgent,
    )
