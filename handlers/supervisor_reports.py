"""On demand: `/report week|month [area code]`, `/workers [month]`, `/export week|month`.

Arguments are parsed here; areas are resolved by code inside the caller's subtree only, and an
unknown or foreign code gets the same refusal (it is not said which).
"""

from __future__ import annotations

from datetime import date, timedelta

from handlers.context import Ctx
from handlers.events import Send, SendDocument
from handlers.supervisor_digest import fit_message, show_digest
from models.access import Action, scope_of
from models.services.digest import Period, PeriodKind, audited_digest
from models.services.digest_export import export_report
from models.services.digest_scope import AreaRef, area_in_scope
from models.services.performance import WorkerPerformance, audited_performance

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


def can_review(ctx: Ctx) -> bool:
    return scope_of(ctx.identity.principal, Action.review_record) is not None


def _area(ctx: Ctx, code: str | None, action: str) -> AreaRef | None:
    area = ctx.call(area_in_scope, ctx.identity, now=ctx.now, code=code, action=action)
    if area is None:
        ctx.reply("errors/not_allowed")
    return area


def cmd_report(ctx: Ctx, arg: str) -> None:
    """/report week|month [area code]: the digest's figures for the week or month to date."""
    words = arg.split()
    kind = KINDS.get(words[0].lower()) if words else None
    if kind is None or len(words) > 2:
        ctx.reply("supervisor/report_usage")
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
    text = arg.strip().replace("/", "-").replace("年", "-").rstrip("月")
    if not text:
        return Period.of(PeriodKind.month, today)
    try:
        if "-" in text:
            year, month = (int(part) for part in text.split("-", 1))
        elif len(text) == 6 and text.isdigit():
            year, month = int(text[:4]), int(text[4:])
        else:
            return None
        first = date(year, month, 1)
    except ValueError:
        return None
    if first > today:
        return None
    end = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period.of(PeriodKind.month, min(end, today))


def cmd_workers(ctx: Ctx, arg: str) -> None:
    """/workers [month]: per-worker performance, the weakest on-time rate first."""
    period = parse_month(arg, ctx.today)
    if period is None:
        ctx.reply("supervisor/workers_usage")
        return
    area = _area(ctx, None, "view_performance")
    if area is None:
        return
    figures: list[WorkerPerformance] = ctx.call(
        audited_performance, ctx.identity.actor, area, period, policy=ctx.policy, now=ctx.now
    )
    ranked = sorted(figures, key=lambda w: (w.on_time_rate is None, w.on_time_rate or 0, w.code))
    text = ctx.text(
        "supervisor/workers",
        area=area,
        period=period,
        workers=ranked[:WORKERS_SHOWN],
        total=len(ranked),
        hidden=max(0, len(ranked) - WORKERS_SHOWN),
    )
    for part in fit_message(text):  # rendered (and escaped) by the template already
        ctx.send(Send(ctx.chat_id, part))


def cmd_export(ctx: Ctx, arg: str) -> None:
    """/export week|month: the report as an XLSX file (one sheet per table, Chinese headers)."""
    kind = KINDS.get(arg.strip().lower())
    if kind is None:
        ctx.reply("supervisor/export_usage")
        return
    area = _area(ctx, None, "export")
    if area is None:
        return
    period = Period.of(kind, ctx.today)
    _digest, data = ctx.call(export_report, ctx.identity.actor, area, period, policy=ctx.policy, now=ctx.now)
    filename = f"gridcare-{area.code}-{kind}-{period.end.isoformat()}.xlsx"
    caption = ctx.text("supervisor/export_caption", area=area, period=period)
    ctx.send(SendDocument(ctx.chat_id, filename, data, caption))
