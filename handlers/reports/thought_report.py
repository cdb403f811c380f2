"""Thought report received (思想汇报): when, written or spoken, a photo of the written pages."""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import notes_step, occurred_at, options, person_step, photo_step, when_step
from handlers.dialogs.engine import Step
from handlers.reports.saving import report_dialog
from models.records import RecordKind
from models.services.reporting.records import NewRecord

FORMS = ("written", "oral")


def build(ctx: Ctx, data: dict[str, Any]) -> NewRecord:
    return NewRecord(
        person_id=int(data["person"]),
        kind=RecordKind.thought_report,
        subkind=data["form"],
        occurred_at=occurred_at(ctx, data["when"]),
        notes=data.get("notes"),
        photo_ref=data.get("photo"),
    )


THOUGHT_REPORT = report_dialog(
    "thought_report",
    (
        person_step(),
        when_step("reports/tr_when"),
        Step("form", "reports/tr_form", choices=options("rp_tr_", FORMS)),
        photo_step("reports/tr_photo", when=lambda d: d.get("form") == "written"),
        notes_step("reports/tr_notes"),
    ),
    "reports/tr_summary",
    build,
)
