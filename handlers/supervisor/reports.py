"""On demand: `/report week|month [area code]`, `/workers [month]`, `/export week|month`.

Arguments are parsed here; areas are resolved by code inside the caller's subtree only, and an
unknown or foreign code gets the same refusal (it is not said which). `/report` and `/export`
without a period offer it as buttons: the report's are the digest's own `dg:` buttons, the
export's `ex:<w|m><yyyymmdd>`; each press is checked again like any other button.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from handlers import arguments
from handlers.callbacks import AreaDigest, ExportPeriod
from handlers.context import Ctx
from handlers.events import Send, SendDocument
from handlers.supervisor.digest import KIND_CODE, fit_message, parse_stamp, show_digest
from models.access import Action, scope_of
from models.services.digest.export import export_report
from models.services.digest.scope import AreaRef, area_in_scope
from models.services.digest.summary import Period, PeriodKind, audited_digest
from models.services.performance.table import WorkerPerformance, audited_performance

KINDS = {
    "week": PeriodKind.week,
    "w": PeriodKind.week,
    "周": PeriodKind.week,
    "本周": PeriodKind.week,
    "周报": PeriodKind.week,
    "month": PeriodKind.month,
    "m": PeriodKind.month,
    "月": PeriodKind.month,
    "本月": PeriodKind.month,
    "月报": PeriodKind.month,
}
WORKERS_SHOWN = 40
_BY_CODE = {code: kind for kind, code in KIND_CODE.items() if kind is not PeriodKind.day}


def can_review(ctx: Ctx) -> bool:
    return scope_of(ctx.identity.principal, Action.review_record) is not None


def _area(ctx: Ctx, code: str | None, action: str) -> AreaRef | None:
    area = ctx.call(area_in_scope, ctx.identity, now=ctx.now, code=code, action=action)
    if area is None:
        ctx.reply("errors/not_allowed")
    return area


def cmd_report(ctx: Ctx, arg: str) -> None:
    """/report week|month [area code]: the digest's figures for the week or month to date."""
    words = arguments.words(arg, limit=2) or []
    kind = KINDS.get(words[0].lower()) if words else None
    if kind is None:
        _offer_periods(ctx, "report", "view_digest", lambda area, period: AreaDigest(area, period).pack())
        return
    area = _area(ctx, words[1] if len(words) == 2 else None, "view_digest")
    if area is None:
        return
    digest = ctx.call(
        audited_digest, ctx.identity.actor, area, Period.of(kind, ctx.today), policy=ctx.policy, now=ctx.now
    )
    show_digest(ctx, digest, can_review=can_review(ctx))


def parse_month(arg: str, today: date) -> Period | None:
    """`2026-03`, `2026-3`, `202603` or nothing (this month) → the month up to today; no future."""
    month = arguments.parse_month(arg, today)
    return None if month is None else Period.of(PeriodKind.month, month[1])


def cmd_workers(ctx: Ctx, arg: str) -> None:
    """/workers [month]: per-worker performance and pay score, the weakest on-time rate first.

    A month that has just begun would show mostly zeros: without a month (or with this one) the
    list is the last finished month's, with each worker's progress in the month to date apart.
    """
    period = parse_month(arg, ctx.today)
    if period is None:
        ctx.reply("supervisor/workers_usage")
        return
    area = _area(ctx, None, "view_performance")
    if area is None:
        return
    current = None
    if period.end == ctx.today:  # the month in progress: evaluate the last finished one
        current, period = period, Period.of(PeriodKind.month, period.start - timedelta(days=1))
    figures = _performance(ctx, area, period)
    ranked = sorted(figures, key=lambda w: (w.on_time_rate is None, w.on_time_rate or 0, w.code))
    progress = {w.worker_id: w for w in _performance(ctx, area, current)} if current else {}
    text = ctx.text(
        "supervisor/workers",
        area=area,
        period=period,
        current=current,
        progress=progress,
        full=ctx.policy.pay.full,
        workers=ranked[:WORKERS_SHOWN],
        total=len(ranked),
        hidden=max(0, len(ranked) - WORKERS_SHOWN),
    )
    for part in fit_message(text):  # rendered (and escaped) by the template already
        ctx.send(Send(ctx.chat_id, part))


def _performance(ctx: Ctx, area: AreaRef, period: Period) -> list[WorkerPerformance]:
    return ctx.call(audited_performance, ctx.identity.actor, area, period, policy=ctx.policy, now=ctx.now)


def cmd_export(ctx: Ctx, arg: str) -> None:
    """/export week|month: the report as an XLSX file (one sheet per table, Chinese headers)."""
    kind = KINDS.get(arguments.term(arg).lower())
    if kind is None:
        _offer_periods(ctx, "export", "export", lambda _area, period: ExportPeriod(period).pack())
        return
    area = _area(ctx, None, "export")
    if area is None:
        return
    _export(ctx, area, Period.of(kind, ctx.today))


def on_export(ctx: Ctx, data: ExportPeriod) -> None:
    """`ex:<w|m><yyyymmdd>`: the export offered by `/export`, of the week or month of that day."""
    kind = _BY_CODE.get(data.period[:1])
    day = parse_stamp(data.period[1:])
    if kind is None or day is None or day > ctx.today:
        ctx.answer("dialog/stale")
        return
    area = ctx.call(area_in_scope, ctx.identity, now=ctx.now, action="export")
    if area is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    ctx.answer()
    _export(ctx, area, Period.of(kind, day))


def _offer_periods(ctx: Ctx, command: str, action: str, data: Callable[[int, str], str]) -> None:
    """`/<command>`'s usage text, with a button for this week and one for this month of the caller's
    own area (`data(area id, "<w|m><yyyymmdd>")` is a button's data)."""
    area = _area(ctx, None, action)
    if area is None:
        return
    stamp = ctx.today.strftime("%Y%m%d")
    buttons = tuple(
        ctx.button(f"sv_btn_{command}_{kind.value}", data(area.id, f"{KIND_CODE[kind]}{stamp}"))
        for kind in (PeriodKind.week, PeriodKind.month)
    )
    ctx.reply(f"supervisor/{command}_usage", (buttons,), area=area)


def _export(ctx: Ctx, area: AreaRef, period: Period) -> None:
    kind = period.kind
    _digest, data = ctx.call(export_report, ctx.identity.actor, area, period, policy=ctx.policy, now=ctx.now)
    filename = f"gridcare-{area.code}-{kind}-{period.end.isoformat()}.xlsx"
    caption = ctx.text("supervisor/export_caption", area=area, period=period)
    ctx.send(SendDocument(ctx.chat_id, filename, data, caption))
