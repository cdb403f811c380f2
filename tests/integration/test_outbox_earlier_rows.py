"""Rows an earlier version queued, still waiting in a database's outbox at an upgrade, go out as the
messages they were: their JSON is read as it was written (tests/unit/test_outbox_payloads.py has
every shape; here they go through claiming and the sender on each database)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from bot.outbox import Sender
from handlers.events import (
    DeleteMessages,
    Edit,
    Send,
    SendContact,
    SendDocument,
    SendPhoto,
    SendVoice,
    SetCommands,
)
from models.clock import FrozenClock
from models.outbox import OutboxMessage, OutboxStatus
from models.outgoing import keyboard
from models.policy import Policy
from tests.support.outbox import FAST, FakeTelegram, rows

ROWS = [[["Open", "o:1"]]]
# (chat, dedupe key, payload as the earlier version stored it, the message it must arrive as)
EARLIER = [
    (11, "send", {"kind": "send", "text": "hi", "buttons": ROWS}, Send(11, "hi", keyboard(ROWS))),
    (
        12,
        "chart",
        {"kind": "photo", "photo_b64": "iVBORw==", "caption": "chart", "buttons": []},
        SendPhoto(12, data=b"\x89PNG", caption="chart"),
    ),
    (
        13,
        "relay",
        {"kind": "photo", "file_id": "PHOTO-1", "caption": "母亲", "buttons": ROWS},
        SendPhoto(13, file_id="PHOTO-1", caption="母亲", buttons=keyboard(ROWS)),
    ),
    (
        14,
        "voice",
        {"kind": "voice", "file_id": "VOICE-1", "caption": None, "buttons": []},
        SendVoice(14, "VOICE-1"),
    ),
    (
        15,
        "export",
        {"kind": "document", "filename": "week.xlsx", "data_b64": "UEs=", "caption": "export"},
        SendDocument(15, "week.xlsx", b"PK", "export"),
    ),
    (
        16,
        "contact",
        {"kind": "contact", "phone": "+86 555 0100", "first_name": "Wang", "last_name": None},
        SendContact(16, "+86 555 0100", "Wang"),
    ),
    (17, "hygiene", {"kind": "delete", "message_ids": [41]}, DeleteMessages(17, (41,))),
    (
        18,
        "menu",
        {"kind": "commands", "commands": [["today", "今日待办"]], "language_code": "zh"},
        SetCommands(18, (("today", "今日待办"),), "zh"),
    ),
    (
        19,
        "reply-edit",
        {"kind": "edit", "message_id": 41, "text": "已切换为中文。", "buttons": []},
        Edit(19, 41, "已切换为中文。"),
    ),
    (
        20,
        "am:1",
        {"kind": "edit", "edit_of": "am", "text": "1 due ✓", "buttons": ROWS},
        Edit(20, 77, "1 due ✓", keyboard(ROWS)),  # the morning list `am`, sent before the upgrade
    ),
]


async def test_rows_queued_by_the_earlier_version_arrive_as_the_messages_they_were(db, now):
    earlier = now - timedelta(minutes=5)
    common = {"purpose": "notice", "urgent": True, "available_at": earlier, "created_at": earlier}
    with db.unit_of_work() as s:
        s.execute(
            insert(OutboxMessage).values(
                chat_id=20,
                dedupe_key="am",
                payload={"kind": "send", "text": "2 due", "buttons": ROWS},
                status=OutboxStatus.sent,
                attempts=1,
                message_id=77,
                sent_at=earlier,
                **common,
            )
        )
        for chat, key, payload, _message in EARLIER:
            s.execute(
                insert(OutboxMessage).values(
                    chat_id=chat,
                    dedupe_key=key,
                    payload=payload,
                    status=OutboxStatus.pending,
                    attempts=0,
                    **common,
                )
            )
    telegram = FakeTelegram()
    await Sender(db, telegram, clock=FrozenClock(now), policy=Policy(), settings=FAST).drain()
    assert sorted(telegram.delivered, key=lambda a: a.chat_id) == [message for *_, message in EARLIER]
    assert {key: row.status for key, row in rows(db).items()} == {"am": "sent"} | {
        key: "sent" for _, key, _, _ in EARLIER
    }
