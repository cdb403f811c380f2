"""Correcting or voiding one's own report within 24 hours (buttons `rc:<record id>:c|v`).

A correction re-opens the same form for the same person; saving it files a new record pointing
at the old one, which is voided as "corrected" (models.services.reporting.records). Voiding asks why.
Either way nothing is deleted, both are audited, and staff alerted by the old record are told.
"""

from __future__ import annotations

from typing import Any

from handlers.callbacks import RecordChange
from handlers.context import Ctx
from handlers.dialogs.common import clean
from handlers.dialogs.engine import Choice, Dialog, Invalid, Shown, Step, show
from handlers.reports.card import DIALOG_OF
from handlers.reports.saving import person_view
from models.services.cards import record_view
from models.services.reporting.filing import void_report
from models.services.reporting.records import (
    AlreadyVoided,
    Correctable,
    NotAllowed,
    TooLate,
    correctable,
)

REASONS = ("mistake", "wrong_person", "duplicate")
REASON_MAX = 100


def typed_reason(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    reason = clean(text)
    if not reason:
        raise Invalid("dialog/invalid_empty")
    if len(reason) > REASON_MAX:
        raise Invalid("dialog/invalid_too_long", limit=REASON_MAX, length=len(reason))
    return reason


def _still_open(ctx: Ctx, data: dict[str, Any]) -> bool:
    state, _ = ctx.call(correctable, ctx.identity, int(data["record"]), now=ctx.now, today=ctx.today)
    return state is Correctable.ok


def _views(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    return {
        **person_view(ctx, data),
        "form": "void_record",
        "record_view": ctx.call(record_view, int(data["record"])),
    }


def finish_void(ctx: Ctx, data: dict[str, Any], key: str) -> Shown:
    try:
        ctx.call(
            void_report, ctx, ctx.identity, int(data["record"]), data["reason"], now=ctx.now, today=ctx.today
        )
    except NotAllowed:
        return show("errors/not_allowed")
    except (TooLate, AlreadyVoided):
        return show("reports/correct_expired")
    return show("reports/voided", data=data, **_views(ctx, data))


VOID = Dialog(
    name="void_record",
    steps=(
        Step(
            "reason",
            "reports/void_reason",
            choices=tuple(Choice(r, f"rp_void_{r}") for r in REASONS),
            parse=typed_reason,
            columns=1,
        ),
    ),
    summary="reports/void_summary",
    finish=finish_void,
    authorize=_still_open,
    views=_views,
)


def on_correct(ctx: Ctx, data: RecordChange) -> None:
    """`rc:<record id>:c` re-opens the form as a correction; `rc:<record id>:v` voids it."""
    op = data.op
    state, ref = ctx.call(correctable, ctx.identity, data.record_id, now=ctx.now, today=ctx.today)
    if state is Correctable.not_allowed or ref is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    if state is not Correctable.ok:
        ctx.answer(f"reports/correct_{state}", alert=True)
        return
    dialog = DIALOG_OF.get(str(ref.kind)) if op == "c" else "void_record"
    if dialog is None:
        ctx.answer("dialog/stale")
        return
    ctx.answer()
    start: dict[str, Any] = {"person": str(ref.person_id)}
    start.update({"_corrects": ref.id} if op == "c" else {"record": str(ref.id)})
    ctx.dialogs.start(ctx, dialog, start)
