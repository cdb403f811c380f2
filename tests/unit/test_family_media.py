"""Relayed media as outbox payloads and transport actions: photos and voice notes go by file_id."""

from __future__ import annotations

import pytest

from bot.send_actions import to_action
from handlers.events import Button, SendPhoto, SendVoice
from handlers.family_forms import ReplyAnswer, reply_answer
from handlers.media import CAPTION_TEXT_MAX, caption_text
from models.services.outbox import photo_payload
from models.services.outbox_media import media_payload

ROWS = [[("↩️ 回复", "fr:7")]]


def test_a_photo_payload_by_file_id_becomes_a_send_photo_without_bytes():
    action = to_action(42, media_payload("photo", "FILE-1", "caption", ROWS))
    assert action == SendPhoto(
        42, file_id="FILE-1", caption="caption", buttons=((Button("↩️ 回复", "fr:7"),),)
    )


def test_a_voice_payload_becomes_a_send_voice_with_its_caption_and_buttons():
    action = to_action(42, media_payload("voice", "VOICE-1", "caption", ROWS))
    assert action == SendVoice(42, "VOICE-1", "caption", ((Button("↩️ 回复", "fr:7"),),))


def test_an_uploaded_photo_payload_still_sends_its_bytes():
    action = to_action(42, photo_payload(b"\x89PNG...", "chart"))
    assert isinstance(action, SendPhoto) and action.data == b"\x89PNG..." and action.file_id is None


@pytest.mark.parametrize("kind, file_id", [("document", "F"), ("sticker", "F"), ("photo", "")])
def test_a_media_payload_takes_only_photos_and_voice_with_a_file_id(kind, file_id):
    with pytest.raises(ValueError):
        media_payload(kind, file_id)  # type: ignore[arg-type]


def test_a_voice_payload_without_a_file_id_is_refused_by_the_sender():
    with pytest.raises(KeyError):
        to_action(42, {"kind": "voice", "caption": None})


def test_a_long_caption_text_is_cut_and_a_short_one_kept():
    assert caption_text("短") == "短" and caption_text(None) is None
    cut = caption_text("字" * (CAPTION_TEXT_MAX + 50))
    assert cut is not None and len(cut) == CAPTION_TEXT_MAX and cut.endswith("…")


def test_the_reply_form_tells_a_typed_answer_from_a_photo():
    assert reply_answer({"answer": {"text": "好的"}}) == ReplyAnswer("好的", None)
    assert reply_answer({"answer": "PHOTO-9"}) == ReplyAnswer(None, "PHOTO-9")
    assert reply_answer({}) == ReplyAnswer(None, None)
    assert reply_answer({"text": "旧表单"}) == ReplyAnswer("旧表单", None)  # opened before the change
