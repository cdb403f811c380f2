"""Relayed photos and voice notes: they go as themselves, by the file_id Telegram gave them
(`Work.notify(..., media=(kind, file_id))`), under a caption rendered in the recipient's language;
a caption has a limit a message text does not, so the sender's words are cut here to fit it.
"""

from __future__ import annotations

# Room left for the template's own lines (header, relation, time) under Telegram's 1024 limit.
CAPTION_TEXT_MAX = 800


def caption_text(text: str | None) -> str | None:
    """A sender's words cut to fit a caption (the whole text stays in the thread)."""
    if text is None or len(text) <= CAPTION_TEXT_MAX:
        return text
    return text[: CAPTION_TEXT_MAX - 1] + "…"
