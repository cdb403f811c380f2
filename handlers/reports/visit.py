"""Visit report (走访/见面): where, when, what was seen; a routine visit in four taps.

The person card's first button, and the first question of the form, offer "routine: at home
today, all as before". It fills kind, day and the observations (stable, nothing changed, no
contact with drug users), so what is left is an optional note, an optional photo and saving:
four taps after choosing the person (bench/taps.py counts them).
Signs of use or contact with drug users alert the cadre, police and supervisor at once.

A visit can end 未见到本人 (the kind step's last choice): the attempt is recorded with its reason
(result "not_met", an attempt at home), it does not count as the week's meeting, and a second
one in a row raises a lost-contact alert to cadre and police (models.services.reporting.visits).
"""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import (
    free_text,
    notes_step,
    occurred_at,
    options,
    person_step,
    photo_step,
    when_step,
)
from handlers.dialogs.engine import Choice, Step
from handlers.reports.saving import report_dialog
from models.records import NOT_MET, NotMetReason, RecordKind, VisitKind
from models.services.reporting.filing import Reported
from models.services.reporting.records import NewRecord, raises_alert

ROUTINE = "routine"
STATES = ("stable", "worrying", "signs_of_use")
LIVING = ("unchanged", "changed", "difficult")
WORK = ("unchanged", "employed", "unemployed", "seeking")
SOCIAL = ("none", "contact", "unknown")
ROUTINE_ANSWERS = {"state": "stable", "living": "unchanged", "work": "unchanged", "social": "none"}
PLACE_MAX = 100


def _full(data: dict[str, Any]) -> bool:
    return data.get("kind") != ROUTINE


def _met(data: dict[str, Any]) -> bool:
    """A full visit that found the person: the observations are asked."""
    return _full(data) and data.get("kind") != NOT_MET


def _not_met(data: dict[str, Any]) -> bool:
    return data.get("kind") == NOT_MET


def alerting(data: dict[str, Any]) -> bool:
    """Does the form as filled so far alert staff when saved (the confirm screen says whom)?"""
    if not _met(data) or "social" not in data:
        return False
    return raises_alert(RecordKind.visit, data.get("state"), {"social": data["social"]})


def build(ctx: Ctx, data: dict[str, Any]) -> NewRecord:
    if _not_met(data):
        return NewRecord(
            person_id=int(data["person"]),
            kind=RecordKind.visit,
            subkind=VisitKind.home.value,  # the attempt is made where the person lives
            result=NOT_MET,
            occurred_at=occurred_at(ctx, data.get("when")),
            place=None,
            notes=data.get("notes"),
            photo_ref=data.get("photo"),
            details={"outcome": NOT_MET, "reason": data["reason"], "routine": False},
        )
    routine = data["kind"] == ROUTINE
    answers = ROUTINE_ANSWERS if routine else {k: data[k] for k in ROUTINE_ANSWERS}
    return NewRecord(
        person_id=int(data["person"]),
        kind=RecordKind.visit,
        subkind=VisitKind.home.value if routine else data["kind"],
        result=answers["state"],
        occurred_at=occurred_at(ctx, data.get("when")),
        place=data.get("place"),
        notes=data.get("notes"),
        photo_ref=data.get("photo"),
        details={
            "living": answers["living"],
            "work": answers["work"],
            "social": answers["social"],
            "routine": routine,
        },
    )


def after(ctx: Ctx, data: dict[str, Any], reported: Reported) -> dict[str, Any]:
    """Signs of relapse (alerted at once, models.services.reporting.filing) suggest a drug test next."""
    new = build(ctx, data)
    if new.result != NOT_MET and raises_alert(new.kind, new.result, new.details):
        return {"follow_up": "drug_test"}
    return {}


VISIT = report_dialog(
    "visit",
    (
        person_step(),
        Step(
            "kind",
            "reports/visit_kind",
            choices=(
                Choice(ROUTINE, "rp_routine_visit"),
                *options("rp_vk_", (k.value for k in VisitKind)),
                Choice(NOT_MET, "rp_vk_not_met"),
            ),
            columns=1,
            when=lambda d: "kind" not in d,  # the card's routine button chooses it beforehand
        ),
        Step(
            "place",
            "reports/visit_place",
            parse=free_text(PLACE_MAX),
            when=lambda d: d.get("kind") == VisitKind.elsewhere.value,
        ),
        Step(
            "reason",
            "reports/visit_not_met",
            choices=options("rp_nm_", (r.value for r in NotMetReason)),
            when=_not_met,
        ),
        when_step("reports/visit_when", when=_full),
        Step("state", "reports/visit_state", choices=options("rp_state_", STATES), columns=1, when=_met),
        Step("living", "reports/visit_living", choices=options("rp_living_", LIVING), columns=1, when=_met),
        Step("work", "reports/visit_work", choices=options("rp_work_", WORK), when=_met),
        Step("social", "reports/visit_social", choices=options("rp_social_", SOCIAL), columns=1, when=_met),
        notes_step(),
        photo_step(when=lambda d: d.get("kind") != VisitKind.phone.value),
    ),
    "reports/visit_summary",
    build,
    after,
    alerting,
)
