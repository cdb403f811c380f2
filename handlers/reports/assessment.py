"""Assessment (量化评估 / 综合评估): score 0–100, findings, suggested colour.

A suggested colour different from the current one becomes a ColourProposal that the nearest
supervisors and the case's police officer confirm or reject by button (prefix `cp`), asked when
the record is filed (models.services.reporting.filing); the colour changes only then, with the
history kept.
"""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import free_text, occurred_at, options, person_step, score, when_step
from handlers.dialogs.dates import previous_period
from handlers.dialogs.engine import Choice, Step
from handlers.reports.saving import report_dialog
from models.people import Colour
from models.records import AssessmentKind, RecordKind
from models.schedule import Obligation, obligation_of
from models.services.reporting.records import NewRecord

KEEP = "keep"
FINDINGS_MAX = 1000


def _colours(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    return [Choice(KEEP, "rp_keep_colour"), *options("colour_", (c.value for c in Colour))]


def _obligation(data: dict[str, Any]) -> Obligation | None:
    return obligation_of(RecordKind.assessment, data.get("assessment"), None)


def build(ctx: Ctx, data: dict[str, Any]) -> NewRecord:
    suggested = data["colour"]
    return NewRecord(
        person_id=int(data["person"]),
        kind=RecordKind.assessment,
        subkind=data["assessment"],
        result=None if suggested == KEEP else suggested,
        score=int(data["score"]),
        occurred_at=occurred_at(ctx, data["when"]),
        notes=data["findings"],
    )


ASSESSMENT = report_dialog(
    "assessment",
    (
        person_step(),
        Step(
            "assessment", "reports/assess_kind", choices=options("rp_ak_", (a.value for a in AssessmentKind))
        ),
        # An assessment may be dated back into its previous period, so a missed one can be closed.
        when_step("reports/assess_when", reach=previous_period(_obligation)),
        Step("score", "reports/assess_score", parse=score(0, 100)),
        Step("findings", "reports/assess_findings", parse=free_text(FINDINGS_MAX)),
        Step("colour", "reports/assess_colour", choices=_colours, columns=1),
    ),
    "reports/assess_summary",
    build,
)
