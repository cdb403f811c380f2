"""Outbox payloads that re-send a file Telegram already holds, by its file_id (photos, voice notes).

A relayed photo or voice message is not downloaded and uploaded again: Telegram lets the bot send
a file it received by the same file_id, so the outbox row stays small and the media arrives as
media (with a rendered caption), not as a notice to press a button for. The shapes:
  {"kind": "photo", "file_id": str, "caption": str | None, "buttons": [[[label, data], ...], ...]}
  {"kind": "voice", "file_id": str, "caption": str | None, "buttons": [...]}
(a "photo" payload carries either `file_id` or the uploaded bytes of models.services.outbox.photo_payload).
"""

from __future__ import annotations

from typing import Any, Literal

from models.services.outbox import ButtonRows

MediaKind = Literal["photo", "voice"]
MEDIA_KINDS: tuple[MediaKind, ...] = ("photo", "voice")
CAPTION_MAX = 1024  # Telegram's limit on a caption, in UTF-16 code units after parsing


def media_payload(
    kind: MediaKind, file_id: str, caption: str | None = None, buttons: ButtonRows = ()
) -> dict[str, Any]:
    """A photo or voice message to send by file_id, with an optional caption and inline buttons."""
    if kind not in MEDIA_KINDS:
        raise ValueError(f"not a media kind: {kind!r}")
    if not file_id:
        raise ValueError("a media payload needs a file_id")
    return {
        "kind": kind,
        "file_id": file_id,
        "caption": caption,
        "buttons": [[list(b) for b in row] for row in buttons],
    }
