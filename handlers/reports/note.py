"""Case note (工作记录): a free-text note about a person in the worker's care."""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import free_text, occurred_at, person_step, when_step
from handlers.dialogs.engine import Step
from handlers.reports.saving import report_dialog
from models.records import RecordKind
from models.services.reporting.records import NewRecord


def build(ctx: Ctx, data: dict[str, Any]) -> NewRecord:
    return NewRecord(
        person_id=int(data["person"]),
        kind=RecordKind.note,
        occurred_at=occurred_at(ctx, data.get("when")),
        notes=data["text"],
    )


NOTE = report_dialog(
    "note",
    # Dated today unless changed on the confirm screen (the date step is asked only from there).
    (person_step(), Step("text", "reports/note_text", parse=free_text()), when_step(when=lambda d: False)),
    "reports/note_summary",
    build,
)
