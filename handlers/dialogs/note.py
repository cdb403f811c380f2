"""Case note (工作记录): a free-text note about a person in the worker's care."""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import free_text, may_write_for, my_people
from handlers.dialogs.engine import Dialog, Step
from models.records import RecordKind
from models.services.reporting import NewRecord, file_record


def save(ctx: Ctx, data: dict[str, Any]) -> None:
    new = NewRecord(
        person_id=int(data["person"]), kind=RecordKind.note, occurred_at=ctx.now, notes=data["text"]
    )
    ctx.call(file_record, ctx.identity, new, now=ctx.now, idempotency_key=data["_key"])


NOTE = Dialog(
    name="note",
    steps=(
        Step(
            "person",
            "reports/choose_person",
            choices=my_people,
            columns=1,
            when=lambda data: "person" not in data,
        ),
        Step("text", "reports/note_text", parse=free_text()),
    ),
    summary="reports/note_summary",
    finish=save,
    authorize=may_write_for,
)
