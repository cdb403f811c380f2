"""Pausing a person (暂停管控): `/pause <code>` shows their pauses with buttons to pause or end one.

While a person is in hospital, detained or away for a while nothing falls due; the pause form asks
the reason, from when and until when. Only the care team's grid worker, cadre and police officer
may pause (Action.pause_person), checked on every step that touches the person.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from handlers.arguments import term
from handlers.callbacks import PauseAction
from handlers.context import Ctx
from handlers.dialogs.common import free_text, options, parse_day, person_step
from handlers.dialogs.engine import Choice, Dialog, Engine, Invalid, Step
from handlers.router import Router
from models.access import Action
from models.services.cards import find_person
from models.services.caseload import person_line
from models.services.pauses import REASONS, PauseError, check_pause, create_pause, end_pause, pauses_of
from models.services.rights import may

SINCE_DAYS = 8  # today and the seven days before
UNTIL_DAYS = (7, 14, 30, 91, 182)  # a week, two, a month, three months, half a year


def _may(ctx: Ctx, person_id: int) -> bool:
    return ctx.call(may, ctx.identity, Action.pause_person, person_id, now=ctx.now, today=ctx.today)


def show_pauses(ctx: Ctx, person_id: int) -> None:
    """The person's pauses with [pause] or [end the pause] (the caller's rights are checked)."""
    line = ctx.call(person_line, person_id)
    pauses = ctx.call(pauses_of, person_id, today=ctx.today)
    code = line.code if line else ""
    buttons = [(ctx.button("rm_btn_pause_end", PauseAction("end", person_id, p.id).pack()),) for p in pauses]
    if not any(p.running(ctx.today) for p in pauses):
        buttons.append((ctx.button("rm_btn_pause_new", PauseAction("new", person_id).pack()),))
    ctx.reply("reminders/pause_status", tuple(buttons), code=code, pauses=pauses, today=ctx.today)


def cmd_pause(ctx: Ctx, arg: str) -> None:
    """/pause <code>: the person's pauses; /pause alone: choose a person and pause them."""
    if not arg:
        ctx.dialogs.start(ctx, "pause", {})
        return
    person_id = ctx.call(
        find_person, ctx.identity, term(arg), Action.pause_person, now=ctx.now, today=ctx.today
    )
    if person_id is None:
        ctx.reply("reminders/not_found")
        return
    show_pauses(ctx, person_id)


def on_pause(ctx: Ctx, data: PauseAction) -> None:
    """`pz:new:<person>` starts the form; `pz:end:<person>:<pause>` ends that pause today."""
    person_id, pause_id = data.person_id, data.pause_id
    if not _may(ctx, person_id):
        ctx.answer("errors/not_allowed", alert=True)
        return
    ctx.answer()
    if data.op == "new":
        ctx.dialogs.start(ctx, "pause", {"person": str(person_id)})
        return
    ended = None
    if pause_id is not None:
        ended = ctx.call(end_pause, ctx.identity, pause_id, person_id=person_id, today=ctx.today, now=ctx.now)
    ctx.reply("reminders/pause_none" if ended is None else "reminders/pause_ended", pause=ended)


# -- the form ------------------------------------------------------------------------------------


def _since_choices(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    return [_day(ctx, ctx.today - timedelta(days=n)) for n in range(SINCE_DAYS)]


def _day(ctx: Ctx, day: date) -> Choice:
    return Choice(day.isoformat(), ctx.plain("reminders/day_choice", day=day), literal=True)


def _parse_since(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    day = parse_day(text, ctx.today)
    if day is None:
        raise Invalid("reminders/pause_invalid_date")
    if day > ctx.today:
        raise Invalid("reminders/pause_future")
    if (ctx.today - day).days >= SINCE_DAYS:
        raise Invalid("reminders/pause_too_early")
    return day.isoformat()


def _until_choices(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    """A week, two, a month … from the start; ends already past are not offered."""
    since = date.fromisoformat(data["since"])
    ends = [since + timedelta(days=n - 1) for n in UNTIL_DAYS]
    return [_day(ctx, end) for end in ends if end >= ctx.today]


def _parse_until(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    day = parse_day(text, ctx.today, ahead=True)
    if day is None:
        raise Invalid("reminders/pause_invalid_date")
    try:
        check_pause(date.fromisoformat(data["since"]), day, today=ctx.today)
    except PauseError as bad:
        raise Invalid(f"reminders/{bad.reason}") from None
    return day.isoformat()


def _views(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    line = ctx.call(person_line, int(data["person"])) if data.get("person") else None
    since, until = data.get("since"), data.get("until")
    return {
        "code": line.code if line else "",
        "since": date.fromisoformat(since) if since else None,
        "until": date.fromisoformat(until) if until else None,
    }


def _authorize(ctx: Ctx, data: dict[str, Any]) -> bool:
    return _may(ctx, int(data["person"]))


def _finish(ctx: Ctx, data: dict[str, Any], key: str) -> None:
    reason = data["reason_text"] if data["reason"] == "other" else data["reason"]
    try:
        ctx.call(
            create_pause,
            ctx.identity,
            int(data["person"]),
            starts_on=date.fromisoformat(data["since"]),
            ends_on=date.fromisoformat(data["until"]),
            reason=reason,
            today=ctx.today,
            now=ctx.now,
        )
    except PauseError as bad:
        ctx.reply(f"reminders/{bad.reason}", code=_views(ctx, data)["code"])


PAUSE = Dialog(
    "pause",
    (
        person_step(),
        Step(
            "reason", "reminders/pause_reason", choices=options("rm_reason_", (*REASONS, "other")), columns=1
        ),
        Step(
            "reason_text",
            "reminders/pause_reason_text",
            parse=free_text(200),
            when=lambda d: d.get("reason") == "other",
        ),
        Step("since", "reminders/pause_since", choices=_since_choices, parse=_parse_since),
        Step("until", "reminders/pause_until", choices=_until_choices, parse=_parse_until),
    ),
    "reminders/pause_summary",
    _finish,
    authorize=_authorize,
    views=_views,
)


def register(router: Router, engine: Engine) -> None:
    engine.add(PAUSE)
    router.command("/pause", Action.pause_person, cmd_pause)
    router.button(PauseAction, Action.pause_person, on_pause)
