"""/delegate (工作委托): hand my caseload to a colleague of my community for a date range.

The colleague is told at once (models.services.directory.delegation_notices). While the delegation runs
their /my, cards and reports include my people; every record they file names them as author and me
as the worker it was filed for.
`/delegate` also lists running and planned delegations, each with a button to end it (`de:<id>`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from handlers.callbacks import DelegationEnd
from handlers.context import Ctx
from handlers.dialogs.common import parse_day
from handlers.dialogs.engine import Choice, Dialog, Invalid, Shown, Step, show
from models.services.directory.delegation import DelegationError, check_range, colleagues, delegations_of
from models.services.directory.delegation_notices import end_delegation, hand_over

LENGTHS = (7, 14, 30)


def _colleagues(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    return [
        Choice(str(c.id), f"{c.name} · {ctx.label('role_' + c.role)}", literal=True)
        for c in ctx.call(colleagues, ctx.identity)
    ]


def _starts(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    return [
        Choice(ctx.today.isoformat(), "rp_today"),
        Choice((ctx.today + timedelta(days=1)).isoformat(), "rp_tomorrow"),
    ]


def _ends(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    start = date.fromisoformat(data["starts"])
    return [
        Choice(
            (start + timedelta(days=n - 1)).isoformat(),
            ctx.plain("reports/delegate_length", days=n, end=start + timedelta(days=n - 1)),
            literal=True,
        )
        for n in LENGTHS
    ]


def _typed(ctx: Ctx, data: dict[str, Any], text: str) -> date:
    day = parse_day(text, ctx.today, ahead=True)
    if day is None:
        raise Invalid("reports/invalid_date")
    return day


def parse_starts(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    day = _typed(ctx, data, text)
    try:
        check_range(day, day, today=ctx.today)
    except DelegationError as bad:
        raise Invalid(f"reports/{bad.reason}") from None
    return day.isoformat()


def parse_ends(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    day = _typed(ctx, data, text)
    try:
        check_range(date.fromisoformat(data["starts"]), day, today=ctx.today)
    except DelegationError as bad:
        raise Invalid(f"reports/{bad.reason}") from None
    return day.isoformat()


def _views(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    names = {str(c.id): c.name for c in ctx.call(colleagues, ctx.identity)}
    return {
        "colleague": names.get(str(data.get("colleague")), ""),
        "starts": date.fromisoformat(data["starts"]) if "starts" in data else None,
        "ends": date.fromisoformat(data["ends"]) if "ends" in data else None,
    }


def finish(ctx: Ctx, data: dict[str, Any], key: str) -> Shown:
    starts, ends = date.fromisoformat(data["starts"]), date.fromisoformat(data["ends"])
    try:
        made = ctx.call(
            hand_over, ctx, ctx.identity, int(data["colleague"]), starts, ends, now=ctx.now, today=ctx.today
        )
    except DelegationError as bad:
        return show(f"reports/{bad.reason}")
    return show("reports/delegate_done", people=made.people, **_views(ctx, data))


DELEGATE = Dialog(
    name="delegate",
    steps=(
        Step("colleague", "reports/delegate_colleague", choices=_colleagues, columns=1),
        Step("starts", "reports/delegate_starts", choices=_starts, parse=parse_starts),
        Step("ends", "reports/delegate_ends", choices=_ends, parse=parse_ends, columns=1),
    ),
    summary="reports/delegate_summary",
    finish=finish,
    views=_views,
)


def cmd_delegate(ctx: Ctx, _arg: str) -> None:
    """/delegate: my running delegations (with an end button), then a new one."""
    running = ctx.call(delegations_of, ctx.identity, today=ctx.today)
    if running:
        buttons = tuple(
            (ctx.button("rp_btn_end_delegation", DelegationEnd(d.id).pack(), name=d.to_name),)
            for d in running
            if d.outgoing
        )
        ctx.reply("reports/delegations", buttons, delegations=running)
    if not ctx.call(colleagues, ctx.identity):
        ctx.reply("reports/delegate_nobody")
        return
    ctx.dialogs.start(ctx, "delegate", {})


def on_end_delegation(ctx: Ctx, data: DelegationEnd) -> None:
    """`de:<id>`: the delegating worker ends it now; the colleague is told."""
    ended = ctx.call(end_delegation, ctx, ctx.identity, data.delegation_id, now=ctx.now)
    if ended is None:
        ctx.answer("errors/not_allowed", alert=True)
        return
    ctx.answer()
    if ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, "reports/delegation_ended")
