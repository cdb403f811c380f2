"""Supervisors (综治办/禁毒办): digests of their subtree, drill-down, review, performance, exports.

`/digest [date]` shows the day's digest (the daily job sends it unasked at Policy.digest_at, see
handlers.supervisor.digest.daily_digests); its buttons drill into a child area or a worker's
overdue people, each press re-checked against the caller's subtree. `/report`, `/workers`,
`/export` are in handlers.supervisor.reports, `/review` in handlers.supervisor.review.
"""

from __future__ import annotations

from handlers.arguments import parse_day
from handlers.callbacks import AreaDigest, CardOpen, ExportPeriod, ReviewNext, VerdictGiven, WorkerOverdue
from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from handlers.events import Send
from handlers.router import Router, not_allowed
from handlers.supervisor.digest import KIND_CODE, fit_message, parse_stamp, show_digest
from handlers.supervisor.reports import (
    can_review,
    cmd_export,
    cmd_report,
    cmd_workers,
    on_export,
)
from handlers.supervisor.review import REVIEW, cmd_review, on_queue, on_verdict
from models.access import Action
from models.services.digest.scope import area_in_scope, worker_in_scope, worker_overdue
from models.services.digest.summary import Period, PeriodKind, audited_digest

OVERDUE_SHOWN = 50
CARDS = 15  # card buttons under a worker's overdue list


def cmd_digest(ctx: Ctx, arg: str) -> None:
    """/digest [date]: the digest of the caller's subtree for a day (default today)."""
    day = parse_day(arg, ctx.today)
    if day is None:
        ctx.reply("supervisor/bad_date")
        return
    area = ctx.call(area_in_scope, ctx.identity, now=ctx.now)
    if area is None:
        ctx.reply("errors/not_allowed")
        return
    digest = ctx.call(
        audited_digest,
        ctx.identity.actor,
        area,
        Period.of(PeriodKind.day, day),
        policy=ctx.policy,
        now=ctx.now,
    )
    show_digest(ctx, digest, can_review=can_review(ctx))


_KINDS = {code: kind for kind, code in KIND_CODE.items()}


def on_area(ctx: Ctx, data: AreaDigest) -> None:
    """`dg:<area id>[:<kind><yyyymmdd>]`: a child area's digest, if that area is in the caller's subtree."""
    stamp = data.period
    kind = _KINDS[stamp[0]] if stamp else PeriodKind.day
    day = parse_stamp(stamp[1:]) if stamp else ctx.today
    area = None
    if day is not None and day <= ctx.today:
        area = ctx.call(area_in_scope, ctx.identity, now=ctx.now, area_id=data.area_id)
    if area is None or day is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    ctx.answer()
    digest = ctx.call(
        audited_digest, ctx.identity.actor, area, Period.of(kind, day), policy=ctx.policy, now=ctx.now
    )
    show_digest(ctx, digest, can_review=can_review(ctx))


def on_worker(ctx: Ctx, data: WorkerOverdue) -> None:
    """`dw:<worker id>[:<yyyymmdd>]`: a worker's overdue people (codes), if the worker is in the subtree."""
    day = data.day or ctx.today
    worker = None
    if day <= ctx.today:
        worker = ctx.call(worker_in_scope, ctx.identity, data.worker_id, now=ctx.now)
    if worker is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    ctx.answer()
    items = ctx.call(worker_overdue, ctx.identity, worker, today=day, policy=ctx.policy, now=ctx.now)
    people = len({i.person_id for i in items})
    text = ctx.text(
        "supervisor/worker_overdue",
        worker=worker,
        day=day,
        items=items[:OVERDUE_SHOWN],
        hidden=max(0, len(items) - OVERDUE_SHOWN),
        people=people,
    )
    codes = dict.fromkeys((i.person_id, i.person_code) for i in items[:OVERDUE_SHOWN])
    cards = [
        ctx.button("sv_card_button", CardOpen(pid).pack(), code=code) for pid, code in list(codes)[:CARDS]
    ]
    keyboard = tuple(tuple(cards[i : i + 3]) for i in range(0, len(cards), 3))
    parts = fit_message(text)  # rendered (and escaped) by the template already
    for n, part in enumerate(parts, start=1):
        ctx.send(Send(ctx.chat_id, part, keyboard if n == len(parts) else ()))


def register(router: Router, engine: Engine) -> None:
    """The supervisor's commands (menu order) and the digest's buttons."""
    engine.add(REVIEW)
    router.command("/digest", Action.view_digest, cmd_digest)
    router.command("/report", Action.view_digest, cmd_report)
    router.command("/workers", Action.view_performance, cmd_workers)
    router.command("/export", Action.export, cmd_export)
    router.command("/review", Action.review_record, cmd_review)
    # Junk drill-down data is answered like an area or record out of reach (reveals nothing).
    router.button(AreaDigest, Action.view_digest, on_area, junk=not_allowed)
    router.button(WorkerOverdue, Action.view_digest, on_worker, junk=not_allowed)
    router.button(ReviewNext, Action.review_record, on_queue, junk=not_allowed)
    router.button(VerdictGiven, Action.review_record, on_verdict, junk=not_allowed)
    router.button(ExportPeriod, Action.export, on_export)
