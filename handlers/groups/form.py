"""The group session's form (集中教育 / 宣传日活动): kind, topic, day, notes, one summary for all.

Confirming files one education record per person (models.services.reporting.group_sessions), in the
confirming update's unit of work, and ticks the items off in this morning's lists.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import notes_step, occurred_at, parse_day
from handlers.dialogs.engine import Choice, Dialog, Invalid, Shown, Step, show
from handlers.reminders.jobs import refresh_worker
from handlers.reports.education import TOPICS, typed_topic
from models.access import Action
from models.policy import CampaignDay
from models.services.caseload import PersonLine, person_line
from models.services.reminders.morning import morning_owner
from models.services.reporting.group_sessions import LEGAL, WINDOW_DAYS, GroupSession, file_group_session
from models.services.reporting.records import NotAllowed
from models.services.rights import may

DIALOG = "group"


def _campaigns_near(ctx: Ctx) -> list[tuple[CampaignDay, date]]:
    """Campaign days held within the backfill window up to today (a group may be filed late)."""
    found = []
    for campaign in ctx.policy.campaigns:
        for year in (ctx.today.year - 1, ctx.today.year):
            on = campaign.on(year)
            if on is not None and on <= ctx.today and (ctx.today - on).days < WINDOW_DAYS:
                found.append((campaign, on))
    return found


def campaign_name(ctx: Ctx, campaign: CampaignDay) -> str:
    """A built-in campaign day by its label, a locality's by its own name."""
    key = f"rm_campaign_{campaign.key}"
    return ctx.renderer.labels(ctx.locale).get(key) or campaign.name or campaign.key


def kind_choices(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    """Concentrated legal education, and each campaign day of the last days."""
    choices = [Choice(LEGAL, "gs_kind_legal")]
    for campaign, _on in _campaigns_near(ctx):
        label = ctx.plain("groups/campaign_button", campaign=campaign_name(ctx, campaign))
        choices.append(Choice(campaign.key, label, literal=True))
    return choices


def _lines(ctx: Ctx, data: dict[str, Any]) -> list[PersonLine]:
    lines = (ctx.call(person_line, int(p)) for p in data.get("people", ()))
    return [line for line in lines if line is not None]


def _earliest(ctx: Ctx, data: dict[str, Any]) -> date | None:
    """The first day all of them were in the programme (a session cannot predate anyone's start)."""
    starts = [line.programme_start for line in _lines(ctx, data) if line.programme_start is not None]
    return max(starts) if starts else None


def when_choices(ctx: Ctx, data: dict[str, Any]) -> list[Choice]:
    """Today, yesterday and the days before, back to the backfill limit or the latest start."""
    start = _earliest(ctx, data)
    found = []
    for back in range(WINDOW_DAYS):
        day = ctx.today - timedelta(days=back)
        if start is not None and day < start:
            break
        if back < 2:
            found.append(Choice(day.isoformat(), ("rp_today", "rp_yesterday")[back]))
        else:
            found.append(Choice(day.isoformat(), ctx.plain("reports/day_choice", day=day), literal=True))
    return found


def parse_when(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    """A typed date, within the offered days."""
    day = parse_day(text, ctx.today)
    offered = {c.value for c in when_choices(ctx, data)}
    if day is None:
        raise Invalid("reports/invalid_date")
    if day.isoformat() not in offered:
        raise Invalid("groups/invalid_day", days=WINDOW_DAYS)
    return day.isoformat()


def _legal(data: dict[str, Any]) -> bool:
    return data.get("kind") == LEGAL


def _day(ctx: Ctx, data: dict[str, Any]) -> date | None:
    """The session's day: the one chosen, or the campaign day itself."""
    if data.get("when"):
        return date.fromisoformat(data["when"])
    for campaign, on in _campaigns_near(ctx):
        if campaign.key == data.get("kind"):
            return on
    return None


def views(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("kind")
    name = None
    if kind and kind != LEGAL:
        found = [c for c, _ in _campaigns_near(ctx) if c.key == kind]
        name = campaign_name(ctx, found[0]) if found else kind
    return {"people": _lines(ctx, data), "day": _day(ctx, data), "campaign": name}


def may_write_for_all(ctx: Ctx, data: dict[str, Any]) -> bool:
    """Re-checked at confirmation: every one of them must still be in the caller's care."""
    return all(
        ctx.call(may, ctx.identity, Action.write_record, int(p), now=ctx.now, today=ctx.today)
        for p in data.get("people", ())
    )


def finish(ctx: Ctx, data: dict[str, Any], key: str) -> Shown:
    """One record per person, in this update's unit of work; the summary marked saved."""
    day = _day(ctx, data)
    if day is None:  # the campaign day slipped out of the window while the form was open
        return show("groups/too_late")
    group = GroupSession(
        kind=data["kind"],
        people=tuple(int(p) for p in data["people"]),
        occurred_at=occurred_at(ctx, day.isoformat()),
        topic=data.get("topic"),
        notes=data.get("notes"),
        campaign_on=None if _legal(data) else day,
    )
    try:
        filed = ctx.call(file_group_session, ctx.identity, group, now=ctx.now, today=ctx.today, key=key)
    except NotAllowed:
        return show("errors/not_allowed")
    if filed.created:
        owners = {ctx.call(morning_owner, p, ctx.today) for p in filed.people}
        for owner in sorted(o for o in owners if o is not None):
            refresh_worker(ctx, owner)  # tick the items off in this morning's lists
    return show("groups/summary", data=data, done=True, filed=filed, **views(ctx, data))


GROUP = Dialog(
    name=DIALOG,
    steps=(
        Step("kind", "groups/kind", choices=kind_choices, columns=1),
        Step(
            "topic",
            "groups/topic",
            choices=tuple(Choice(t, f"rp_topic_{t}") for t in TOPICS),
            parse=typed_topic,
            columns=1,
            when=_legal,
        ),
        Step("when", "groups/when", choices=when_choices, parse=parse_when, when=_legal),
        notes_step("groups/notes"),
    ),
    summary="groups/summary",
    finish=finish,
    authorize=may_write_for_all,
    views=views,
)
