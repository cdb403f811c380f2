"""Relayed media in the outbox and as transport actions: photos and voice notes go by file_id."""

from __future__ import annotations

import pytest

from handlers.events import Button, SendPhoto, SendVoice
from handlers.family.forms import ReplyAnswer, reply_answer
from handlers.family.media import CAPTION_TEXT_MAX, caption_text
from models.outgoing import keyboard, relayed_media
from models.services.outbox.queue import from_payload, to_payload

KEYS = keyboard([[("↩️ 回复", "fr:7")]])


def test_a_relayed_photo_goes_by_file_id_without_bytes():
    action = relayed_media(42, "photo", "FILE-1", "caption", KEYS)
    assert action == SendPhoto(
        42, file_id="FILE-1", caption="caption", buttons=((Button("↩️ 回复", "fr:7"),),)
    )
    assert "photo_b64" not in to_payload(action) and from_payload(42, to_payload(action)) == action


def test_a_relayed_voice_note_is_a_send_voice_with_its_caption_and_buttons():
    action = relayed_media(42, "voice", "VOICE-1", "caption", KEYS)
    assert action == SendVoice(42, "VOICE-1", "caption", ((Button("↩️ 回复", "fr:7"),),))
    assert from_payload(42, to_payload(action)) == action


def test_an_uploaded_photo_still_sends_its_bytes():
    action = from_payload(42, to_payload(SendPhoto(42, data=b"\x89PNG...", caption="chart")))
    assert isinstance(action, SendPhoto) and action.data == b"\x89PNG..." and action.file_id is None


@pytest.mark.parametrize("kind, file_id", [("document", "F"), ("sticker", "F"), ("photo", "")])
def test_relayed_media_takes_only_photos_and_voice_with_a_file_id(kind, file_id):
    with pytest.raises(ValueError):
        relayed_media(42, kind, file_id)  # type: ignore[arg-type]


def test_a_voice_payload_without_a_file_id_is_refused_by_the_sender():
    with pytest.raises(KeyError):
        from_payload(42, {"kind": "voice", "caption": None})


def test_a_long_caption_text_is_cut_and_a_short_one_kept():
    assert caption_text("短") == "短" and caption_text(None) is None
    cut = caption_text("字" * (CAPTION_TEXT_MAX + 50))
    assert cut is not None and len(cut) == CAPTION_TEXT_MAX and cut.endswith("…")


def test_the_reply_form_tells_a_typed_answer_from_a_photo():
    assert reply_answer({"answer": {"text": "好的"}}) == ReplyAnswer("好的", None)
    assert reply_answer({"answer": "PHOTO-9"}) == ReplyAnswer(None, "PHOTO-9")
    assert reply_answer({}) == ReplyAnswer(None, None)
    assert reply_answer({"text": "旧表单"}) == ReplyAnswer("旧表单", None)  # opened before the change
