"""What every report form shares: how it is built as a dialog, saved once, and shown as saved.

A report form is a Dialog whose finish files one record (idempotently, keyed by the form run),
then returns what the confirmation message becomes: the saved summary with buttons to correct or
void it within 24 hours and to open the person's card. A form started as a correction carries the
id of the record it replaces in `data["_corrects"]`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from handlers.callbacks import CardOpen, RecordChange, ReportStart
from handlers.context import Ctx
from handlers.dialogs.common import may_write_for
from handlers.dialogs.engine import Dialog, Shown, Step, show
from handlers.events import Button
from handlers.reports.alerts import alert_routing
from models.records import RecordKind
from models.services.alerts.routing import Routing
from models.services.caseload import person_line
from models.services.reporting.filing import Reported, file_report
from models.services.reporting.records import AlreadyVoided, CaseClosed, NewRecord, NotAllowed, TooLate

Build = Callable[[Ctx, dict[str, Any]], NewRecord]
After = Callable[[Ctx, dict[str, Any], Reported], dict[str, Any]]  # extra view for the saved message
Alerting = Callable[[dict[str, Any]], bool]  # does the form, as filled, alert staff when saved?


@dataclass(frozen=True)
class Saved:
    """The saved record as the summary shows it."""

    id: int
    late: bool
    on_behalf: bool
    alerted: Routing | None = None  # who was alerted at once, and the roles nobody could be found for
    proposed: bool = False  # a colour change went to a supervisor or police officer


def person_view(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """The person the form is about, for every prompt and the summary (once chosen)."""
    # A form whose routine path asks no date files today's (its confirm screen can change it).
    day = date.fromisoformat(data["when"]) if data.get("when") else ctx.today
    person = ctx.call(person_line, int(data["person"])) if "person" in data else None
    return {"person": person, "corrects": data.get("_corrects"), "day": day}


def report_dialog(
    name: str,
    steps: tuple[Step, ...],
    summary: str,
    build: Build,
    after: After | None = None,
    alerting: Alerting | None = None,
    extra_views: Callable[[Ctx, dict[str, Any]], dict[str, Any]] | None = None,
) -> Dialog:
    """A report form: its steps, its summary template, how to build the record, what follows saving.

    A form that may alert (`alerting`) shows on its confirm screen whom saving will tell: the routing
    that `after` then uses, so the screen's promise and the delivery are one computation.
    """

    def views(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
        alert = None
        if alerting is not None and "person" in data and alerting(data):
            alert = alert_routing(ctx, int(data["person"]))
        extra = extra_views(ctx, data) if extra_views is not None else {}
        return {**person_view(ctx, data), "form": name, "alert": alert, **extra}

    def finish(ctx: Ctx, data: dict[str, Any], key: str) -> Shown:
        shown = extra_views(ctx, data) if extra_views is not None else {}
        return save(ctx, data, key, build(ctx, data), summary, after, shown)

    return Dialog(
        name=name,
        steps=steps,
        summary=summary,
        finish=finish,
        authorize=may_write_for,
        views=views,
        revisit="when" if any(step.name == "when" for step in steps) else None,
    )


def save(
    ctx: Ctx,
    data: dict[str, Any],
    key: str,
    new: NewRecord,
    summary: str,
    after: After | None,
    shown: dict[str, Any] | None = None,
) -> Shown:
    """File the record once (per `key`; models.services.reporting.filing: it alerts, asks and ticks off)
    and show it saved, or why it could not be."""
    corrects = data.get("_corrects")
    try:
        reported = ctx.call(
            file_report,
            ctx,
            ctx.identity,
            new,
            now=ctx.now,
            idempotency_key=key,
            today=ctx.today,
            corrects_id=int(corrects) if corrects is not None else None,
        )
    except CaseClosed as closed:
        return show("reports/case_closed", status=closed.status)
    except NotAllowed:
        return show("errors/not_allowed")
    except (TooLate, AlreadyVoided):
        return show("reports/correct_expired")
    filed = reported.filed
    extra = after(ctx, data, reported) if after is not None and filed.created else {}
    saved = Saved(
        filed.id,
        filed.late,
        filed.on_behalf_of is not None,
        alerted=reported.alerted,
        proposed=reported.proposed,
    )
    return show(
        summary,
        saved_buttons(ctx, filed.id, new.person_id, new.kind, **extra),
        data=data,
        done=True,
        record=saved,
        **person_view(ctx, data),
        **(shown or {}),
    )


def saved_buttons(
    ctx: Ctx, record_id: int, person_id: int, kind: RecordKind, *, follow_up: str | None = None
) -> tuple[tuple[Button, ...], ...]:
    """Correct / void (within 24 h), the person's card, and a suggested next report if any."""
    rows: list[tuple[Button, ...]] = [
        (
            ctx.button("rp_btn_correct", RecordChange(record_id, "c").pack()),
            ctx.button("rp_btn_void", RecordChange(record_id, "v").pack()),
        ),
    ]
    last = [ctx.button("rp_btn_card", CardOpen(person_id).pack())]
    if follow_up is not None:
        last.insert(0, ctx.button(f"rp_btn_{follow_up}", ReportStart(follow_up, person_id).pack()))
    rows.append(tuple(last))
    return tuple(rows)
