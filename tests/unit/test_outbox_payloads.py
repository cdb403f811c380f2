"""A message waits in the outbox as JSON and comes out as the same message; the JSON has the shape
earlier versions wrote, so rows already queued in a database still go out after an upgrade."""

from __future__ import annotations

import json

import pytest

from handlers.events import (
    AnswerCallback,
    Button,
    DeleteMessages,
    Edit,
    Send,
    SendContact,
    SendDocument,
    SendPhoto,
    SendVoice,
    SetCommands,
)
from models.outgoing import keyboard
from models.services.outbox.queue import from_payload, to_payload

KEYS = ((Button("确认", "c:1"), Button("跳过", "c:2")), (Button('<&">', "c:3"),))
MESSAGES = [
    Send(5, "✅ 已保存 <b>P-1</b>", KEYS),
    Edit(5, 41, "已切换为中文。", KEYS),
    SendPhoto(5, data=b"\x89PNG chart", caption="图表", buttons=KEYS),
    SendPhoto(5, file_id="AgAD-photo", caption=None),
    SendVoice(5, "AwAD-voice", "语音", KEYS),
    SendDocument(5, "export.csv", b"a,b\n1,2\n", "导出"),
    SendContact(5, "+8613800000000", "张", "三"),
    DeleteMessages(5, (3, 4, 5)),
    SetCommands(5, (("today", "今日待办"), ("help", "帮助")), "zh"),
    SetCommands(5, (("digest", "每日汇总"),), None, ("辖区概览", "https://gridcare.example/app/")),
    Send(5, "汇总", ((Button("📊 打开辖区概览", "webapp:https://gridcare.example/app/"),),)),
]

ROWS = [[["Open", "o:1"]]]
# Payloads exactly as the previous version's builders (send_payload, photo_payload, media_payload,
# document_payload, contact_payload, hygiene's delete_payload, the replies' to_payload) wrote them.
EARLIER_ROWS = [
    ({"kind": "send", "text": "hi", "buttons": ROWS}, Send(9, "hi", keyboard(ROWS))),
    (
        {"kind": "edit", "message_id": 41, "text": "1 due", "buttons": []},
        Edit(9, 41, "1 due"),
    ),
    (
        {"kind": "photo", "photo_b64": "iVBORw==", "caption": "chart", "buttons": ROWS},
        SendPhoto(9, data=b"\x89PNG", caption="chart", buttons=keyboard(ROWS)),
    ),
    (
        {"kind": "photo", "file_id": "PHOTO-1", "caption": "母亲", "buttons": ROWS},
        SendPhoto(9, file_id="PHOTO-1", caption="母亲", buttons=keyboard(ROWS)),
    ),
    (
        {"kind": "voice", "file_id": "VOICE-1", "caption": None, "buttons": []},
        SendVoice(9, "VOICE-1"),
    ),
    (
        {"kind": "document", "filename": "week.xlsx", "data_b64": "UEs=", "caption": "export"},
        SendDocument(9, "week.xlsx", b"PK", "export"),
    ),
    (
        {"kind": "contact", "phone": "+86 555 0100", "first_name": "Wang", "last_name": None},
        SendContact(9, "+86 555 0100", "Wang"),
    ),
    ({"kind": "delete", "message_ids": [41]}, DeleteMessages(9, (41,))),
    (
        {"kind": "commands", "commands": [["today", "今日待办"]], "language_code": "zh"},
        SetCommands(9, (("today", "今日待办"),), "zh"),
    ),
    (
        {
            "kind": "commands",
            "commands": [["digest", "每日汇总"]],
            "language_code": None,
            "menu_app": ["辖区概览", "https://gridcare.example/app/"],
        },
        SetCommands(9, (("digest", "每日汇总"),), None, ("辖区概览", "https://gridcare.example/app/")),
    ),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda a: type(a).__name__)
def test_a_message_stored_in_the_outbox_comes_back_unchanged(message):
    payload = json.loads(json.dumps(to_payload(message)))  # as the JSON column keeps it
    assert from_payload(5, payload) == message


@pytest.mark.parametrize("payload, message", EARLIER_ROWS, ids=[type(m).__name__ for _, m in EARLIER_ROWS])
def test_a_row_queued_by_the_earlier_version_reads_as_its_message_and_is_written_the_same(payload, message):
    assert from_payload(9, payload) == message
    assert to_payload(message) == payload


def test_an_edit_of_an_earlier_row_is_stored_as_before_and_sent_only_once_it_names_its_message():
    morning = Send(9, "1 due ✓", keyboard(ROWS))
    stored = to_payload(morning, edit_of="morning:7:2026-12-07")
    assert stored == {"kind": "edit", "edit_of": "morning:7:2026-12-07", "text": "1 due ✓", "buttons": ROWS}
    with pytest.raises(KeyError):  # models.services.outbox.claims adds the message id when it claims the row
        from_payload(9, stored)
    assert from_payload(9, {**stored, "message_id": 41}) == Edit(9, 41, "1 due ✓", keyboard(ROWS))


def test_only_a_text_message_stands_for_an_edit_of_an_earlier_one():
    with pytest.raises(ValueError):
        to_payload(SendVoice(9, "VOICE-1"), edit_of="k")


def test_an_answer_to_a_button_press_cannot_wait_in_the_outbox():
    with pytest.raises(TypeError):
        to_payload(AnswerCallback("q1", "ok"))  # type: ignore[arg-type]


def test_a_payload_of_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        from_payload(9, {"kind": "sticker", "file_id": "S"})
