"""Registration (报到): the person reported in, after release from isolation or on entering the programme.

The law gives 15 days from release (models.schedule); the form asks the day (never before the
release), where the person reported and an optional note, and shows the deadline on its confirm
screen. Saving files the registration record, which meets the obligation, and sets the person's
registration date (models.services.reporting.registration, through models.services.reporting.filing).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import notes_step, occurred_at, options, person_step, when_step
from handlers.dialogs.engine import Step
from handlers.reports.saving import report_dialog
from models.records import RecordKind
from models.services.reporting.records import NewRecord
from models.services.reporting.registration import release_of

PLACES = ("office", "police", "other")  # label keys rp_reg_place_*: the community office, the police station


def _released_on(ctx: Ctx, data: dict[str, Any]) -> date | None:
    release = ctx.call(release_of, int(data["person"]))
    return release.released_on if release else None


def build(ctx: Ctx, data: dict[str, Any]) -> NewRecord:
    return NewRecord(
        person_id=int(data["person"]),
        kind=RecordKind.registration,
        subkind=data["where"],
        occurred_at=occurred_at(ctx, data["when"]),
        notes=data.get("notes"),
    )


def views(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """The release this registration answers and its deadline, for the confirm screen."""
    return {"release": ctx.call(release_of, int(data["person"])) if "person" in data else None}


REGISTRATION = report_dialog(
    "registration",
    (
        person_step(),
        when_step("reports/reg_when", floor=_released_on, before_floor="reports/invalid_before_release"),
        Step("where", "reports/reg_place", choices=options("rp_reg_place_", PLACES), columns=1),
        notes_step(),
    ),
    "reports/reg_summary",
    build,
    extra_views=views,
)
