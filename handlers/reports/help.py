"""Help given (帮扶): job placement, vocational training, allowance (低保), insurance, other."""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import NOTES_MAX, free_text, occurred_at, options, person_step, when_step
from handlers.dialogs.engine import Step
from handlers.reports.saving import report_dialog
from models.records import HelpKind, RecordKind
from models.services.reporting.records import NewRecord

OTHER = HelpKind.other.value


def build(ctx: Ctx, data: dict[str, Any]) -> NewRecord:
    return NewRecord(
        person_id=int(data["person"]),
        kind=RecordKind.help,
        subkind=data["help"],
        occurred_at=occurred_at(ctx, data["when"]),
        notes=data.get("details") or data.get("details_other"),
    )


HELP_GIVEN = report_dialog(
    "help_given",
    (
        person_step(),
        Step(
            "help", "reports/help_kind", choices=options("rp_help_", (h.value for h in HelpKind)), columns=1
        ),
        # "other" must say what it was; the named kinds may add a detail or skip.
        Step(
            "details_other",
            "reports/help_details_other",
            parse=free_text(NOTES_MAX),
            when=lambda d: d.get("help") == OTHER,
        ),
        Step(
            "details",
            "reports/help_details",
            parse=free_text(NOTES_MAX),
            skippable=True,
            when=lambda d: d.get("help") != OTHER,
        ),
        when_step(),
    ),
    "reports/help_summary",
    build,
)
