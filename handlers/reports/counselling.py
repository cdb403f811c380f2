"""Counselling session (心理辅导): for the psychologist and the medical staff of the care team.

Who held it is the author; the form asks when, how (face to face, in a group, by phone or video),
what it was about, how the person seemed afterwards and an optional note. Each session meets a
configured counselling obligation (`obligation = "counselling"` in the rules) for its period.
"""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import notes_step, occurred_at, options, person_step, when_step
from handlers.dialogs.engine import Step
from handlers.reports.saving import report_dialog
from models.records import RecordKind
from models.services.reporting.records import NewRecord

MODES = ("individual", "group", "remote")  # label keys rp_cs_mode_*
FOCUS = ("emotion", "craving", "family", "stress", "other")  # rp_cs_focus_*
OUTCOMES = ("improved", "steady", "attention")  # rp_cs_out_*


def build(ctx: Ctx, data: dict[str, Any]) -> NewRecord:
    return NewRecord(
        person_id=int(data["person"]),
        kind=RecordKind.counselling,
        subkind=data["mode"],
        result=data["outcome"],
        occurred_at=occurred_at(ctx, data["when"]),
        notes=data.get("notes"),
        details={"focus": data["focus"]},
    )


COUNSELLING = report_dialog(
    "counselling",
    (
        person_step(),
        when_step("reports/cs_when"),
        Step("mode", "reports/cs_mode", choices=options("rp_cs_mode_", MODES), columns=1),
        Step("focus", "reports/cs_focus", choices=options("rp_cs_focus_", FOCUS)),
        Step("outcome", "reports/cs_outcome", choices=options("rp_cs_out_", OUTCOMES), columns=1),
        notes_step("reports/cs_notes"),
    ),
    "reports/cs_summary",
    build,
)
