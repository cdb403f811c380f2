"""A reply that waits in the outbox is the same action when the sender takes it out again."""

from __future__ import annotations

import json

import pytest

from bot.send_actions import to_action, to_payload
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

KEYS = ((Button("确认", "c:1"), Button("跳过", "c:2")), (Button('<&">', "c:3"),))
ACTIONS = [
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


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: type(a).__name__)
def test_an_action_stored_as_a_payload_comes_back_unchanged(action):
    payload = json.loads(json.dumps(to_payload(action)))  # as the JSON column keeps it
    assert to_action(5, payload) == action


def test_an_answer_to_a_button_press_has_no_payload():
    assert to_payload(AnswerCallback("q1", "ok")) is None
