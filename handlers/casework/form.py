"""The 状态变更 form, from the person card (`cc:<person>`): kind → date → its own step → reason → confirm.

The kinds offered follow the person's status (models.services.casework.life.offered_kinds), plus 签协议
and 建档, which are saved at once. Isolation asks the expected release date; a transfer, the
receiving grid (buttons); an agreement, its term. The confirm screen names who will be asked to
confirm (the same routing the proposal uses), or says honestly that nobody is linked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import free_text, parse_day, when_step
from handlers.dialogs.engine import Choice, Dialog, Invalid, Shown, Step, show
from models.access import Action
from models.casework import CaseChangeKind
from models.services.caseload import person_line
from models.services.casework.life import DIRECT_KINDS, confirmers, offered_kinds, record_direct
from models.services.casework.notices import propose_change
from models.services.casework.places import grids_near
from models.services.rights import may

K = CaseChangeKind
REASON_MAX = 200
RELEASE_MONTHS = (6, 12, 24)  # isolation: the usual terms, as expected-release buttons
TERMS = ("12", "24", "36")  # agreement: months


def _person(data: dict[str, Any]) -> int:
    return int(data["person"])


def _kinds(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    line = ctx.call(person_line, _person(data))
    offered = offered_kinds(line.status) if line else ()
    if K.transfer in offered and not ctx.call(grids_near, _person(data)):  # no other grid to go to
        offered = tuple(k for k in offered if k is not K.transfer)
    return [Choice(str(k), f"cc_kind_{k}") for k in (*offered, *DIRECT_KINDS)] if offered else []


def _parse_kind(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    raise Invalid("case/choose_kind_button")


def _release_choices(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    start = date.fromisoformat(data["when"])
    days = [start + timedelta(days=round(m * 30.44)) for m in RELEASE_MONTHS]
    return [Choice(d.isoformat(), ctx.plain("reports/day_choice", day=d), literal=True) for d in days]


def _parse_release(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    day = parse_day(text, ctx.today, ahead=True)
    if day is None:
        raise Invalid("reports/invalid_date")
    if day <= date.fromisoformat(data["when"]):
        raise Invalid("case/invalid_release")
    return day.isoformat()


def _grids(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    return [Choice(str(a.id), a.name, literal=True) for a in ctx.call(grids_near, _person(data))]


def _parse_grid(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    raise Invalid("case/choose_grid_button")


def _is(*kinds: CaseChangeKind) -> Callable[[dict[str, Any]], bool]:
    return lambda data: data.get("kind") in {str(k) for k in kinds}


def _views(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    line = ctx.call(person_line, _person(data)) if data.get("person") else None
    kind = data.get("kind")
    asked = None
    if line is not None and kind and kind not in {str(k) for k in DIRECT_KINDS}:
        area = int(data["to_area"]) if data.get("to_area") else None
        asked = ctx.call(confirmers, ctx.identity, line.id, K(kind), area)
    grid = None
    if data.get("to_area"):
        grid = (
            next((a.name for a in ctx.call(grids_near, line.id) if str(a.id) == data["to_area"]), None)
            if line
            else None
        )
    day, release = data.get("when"), data.get("release")
    return {
        "code": line.code if line else "",
        "asked": asked,
        "grid": grid,
        "when": date.fromisoformat(day) if day else None,
        "release": date.fromisoformat(release) if release else None,
    }


def _authorize(ctx: Ctx, data: dict[str, Any]) -> bool:
    return ctx.call(
        may, ctx.identity, Action.propose_case_change, _person(data), now=ctx.now, today=ctx.today
    )


def _finish(ctx: Ctx, data: dict[str, Any], key: str) -> Shown | None:
    kind, day = K(data["kind"]), date.fromisoformat(data["when"])
    if kind in DIRECT_KINDS:
        term = int(data["term"]) if data.get("term") else None
        done = ctx.call(
            record_direct,
            ctx.identity,
            _person(data),
            kind,
            effective_on=day,
            now=ctx.now,
            today=ctx.today,
            term_months=term,
        )
        return show("case/not_possible") if done is None else None
    proposed = ctx.call(
        propose_change,
        ctx,
        ctx.identity,
        _person(data),
        kind,
        effective_on=day,
        reason=data["reason"],
        now=ctx.now,
        today=ctx.today,
        expected_release=date.fromisoformat(data["release"]) if data.get("release") else None,
        to_area_id=int(data["to_area"]) if data.get("to_area") else None,
    )
    if proposed is None:
        return show("case/not_possible")
    ctx.reply("case/proposed", c=proposed.change, asked=proposed.asked)
    return None


CASE_CHANGE = Dialog(
    "case_change",
    (
        Step("kind", "case/choose_kind", choices=_kinds, parse=_parse_kind, columns=2),
        when_step("case/when"),
        Step(
            "release",
            "case/expected_release",
            choices=_release_choices,
            parse=_parse_release,
            columns=1,
            when=_is(K.isolation),
        ),
        Step(
            "to_area", "case/choose_grid", choices=_grids, parse=_parse_grid, columns=1, when=_is(K.transfer)
        ),
        Step(
            "term",
            "case/agreement_term",
            choices=tuple(Choice(t, f"cc_term_{t}") for t in TERMS),
            when=_is(K.agreement),
        ),
        Step(
            "reason",
            "case/reason",
            parse=free_text(REASON_MAX),
            when=lambda d: d.get("kind") not in {str(k) for k in DIRECT_KINDS},
        ),
    ),
    "case/summary",
    _finish,
    authorize=_authorize,
    views=_views,
)
