"""Drug test (吸毒检测, 尿检 and others): sample, method, result, substances, optional kit photo.

The first question offers "routine: urine rapid test, negative, today", which leaves the kit
photo and saving. A positive, refused or missed test alerts the care team's cadre and police
officer and the nearest supervisors at once through the outbox.
"""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import notes_step, occurred_at, options, person_step, photo_step, when_step
from handlers.dialogs.engine import Choice, Step
from handlers.reports.saving import report_dialog
from models.records import ALERT_RESULTS, RecordKind, Sample, Substance, TestMethod, TestResult
from models.services.reporting.records import NewRecord

ROUTINE = "routine"
POSITIVE = TestResult.positive.value
KIT_PHOTO_RESULTS = (TestResult.negative.value, TestResult.positive.value, TestResult.invalid.value)
EXPLAIN_RESULTS = (TestResult.refused.value, TestResult.absent.value, TestResult.invalid.value)


def _full(data: dict[str, Any]) -> bool:
    return data.get("sample") != ROUTINE


def _positive(data: dict[str, Any]) -> bool:
    return _full(data) and data.get("result") == POSITIVE


def _other_substances(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    return [c for c in options("rp_sub_", (s.value for s in Substance)) if c.value != data.get("substance")]


def substances(data: dict[str, Any]) -> list[str]:
    return [s for s in (data.get("substance"), data.get("substance_more")) if s]


def alerting(data: dict[str, Any]) -> bool:
    """Does the form as filled so far alert staff when saved (the confirm screen says whom)?"""
    return _full(data) and data.get("result") in ALERT_RESULTS


def build(ctx: Ctx, data: dict[str, Any]) -> NewRecord:
    routine = data["sample"] == ROUTINE
    return NewRecord(
        person_id=int(data["person"]),
        kind=RecordKind.drug_test,
        subkind=Sample.urine.value if routine else data["sample"],
        result=TestResult.negative.value if routine else data["result"],
        occurred_at=occurred_at(ctx, data.get("when")),
        notes=data.get("notes"),
        photo_ref=data.get("photo"),
        details={
            "method": TestMethod.rapid_kit.value if routine else data["method"],
            "substances": [] if routine else substances(data),
            "routine": routine,
        },
    )


DRUG_TEST = report_dialog(
    "drug_test",
    (
        person_step(),
        Step(
            "sample",
            "reports/test_sample",
            choices=(Choice(ROUTINE, "rp_routine_test"), *options("rp_sample_", (s.value for s in Sample))),
            columns=1,
        ),
        Step(
            "method",
            "reports/test_method",
            choices=options("rp_method_", (m.value for m in TestMethod)),
            when=_full,
        ),
        Step(
            "result",
            "reports/test_result",
            choices=options("rp_result_", (r.value for r in TestResult)),
            when=_full,
        ),
        Step(
            "substance",
            "reports/test_substance",
            choices=options("rp_sub_", (s.value for s in Substance)),
            when=_positive,
        ),
        Step(
            "substance_more",
            "reports/test_substance_more",
            choices=_other_substances,
            skippable=True,
            when=_positive,
        ),
        when_step("reports/test_when", when=_full),
        notes_step("reports/test_notes", when=lambda d: _full(d) and d.get("result") in EXPLAIN_RESULTS),
        photo_step(
            "reports/test_photo",
            when=lambda d: not _full(d) or d.get("result") in KIT_PHOTO_RESULTS,
        ),
    ),
    "reports/test_summary",
    build,
    alerting=alerting,
)
