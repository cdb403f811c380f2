"""Reminders in the chat (issue 5): /today, /settings, "why is this due?" and pauses (/pause).

`/today` (今日待办) lists what is due today and this week and what is overdue across my caseload,
with a button per item to the person and a "why" button; the same list the morning message
brings, a page at a time (the rest one button away, `td:<page>`), and my open drafts to resume.
`/settings` chooses the time of that message. Every person-level press re-checks rights.
The scheduled side (morning lists, the overdue ladder, campaign days) is handlers.reminders.jobs,
the use cases of models.services.reminders.sending.
"""

from __future__ import annotations

from handlers.callbacks import CardOpen, ReminderTime, ReportStart, TodayPage, WhyOpen
from handlers.context import Ctx
from handlers.dialogs.drafts import draft_buttons
from handlers.dialogs.engine import Engine
from handlers.events import Button, Edit, Keyboard, Send
from handlers.reminders import pause as reminders_pause
from handlers.reminders.views import page_count, page_of, render_page
from handlers.router import Router
from models.access import STAFF, Action, scope_of
from models.services.conversations import list_drafts
from models.services.reminders.due_lists import (
    caseload_rows,
    due_list,
    names_of,
    reminder_time,
    set_reminder_time,
    with_names,
)
from models.services.reminders.why import explain
from models.services.rights import may

MAX_DRAFTS = 2  # draft buttons under the list (all are named in the text): 8 + 2 + 2 = 12 buttons
MAX_BUTTONS = 12  # no message of the list carries more
MAX_LISTED_DRAFTS = 10  # drafts named in the text


def _today(ctx: Ctx, page: int) -> tuple[str, Keyboard]:
    """A page of the list (PAGE_LINES items, the rest a page button away) and the open drafts."""
    week = ctx.call(caseload_rows, ctx.identity, today=ctx.today, policy=ctx.policy, now=ctx.now)
    due = due_list(week.rows, ctx.today, later=week.later_items)
    page = min(max(page, 0), page_count(due) - 1)  # the list may have shrunk since the button was shown
    start, count = page_of(due, page)
    shown = [line.person_id for line in due.lines[start : start + count]]
    due = with_names(due, ctx.call(names_of, shown), start, count)
    drafts = ctx.call(list_drafts, ctx.chat_id)[:MAX_LISTED_DRAFTS]
    message = render_page(ctx.renderer, ctx.locale, "reminders/today", due, page, drafts=drafts)
    return message.text, (*message.keyboard(), *draft_buttons(ctx, drafts[:MAX_DRAFTS]))


def cmd_today(ctx: Ctx, arg: str) -> None:
    """今日待办: due today and this week, and overdue, across my caseload; and my open drafts."""
    text, keyboard = _today(ctx, 0)
    ctx.send(Send(ctx.chat_id, text, keyboard))


def on_today_page(ctx: Ctx, data: TodayPage) -> None:
    """`td:<page>`: another page of /today, in place of the one shown."""
    text, keyboard = _today(ctx, data.page)
    ctx.answer()
    if ctx.incoming.message_id is None:
        ctx.send(Send(ctx.chat_id, text, keyboard))
    else:
        ctx.send(Edit(ctx.chat_id, ctx.incoming.message_id, text, keyboard))


def on_why(ctx: Ctx, data: WhyOpen) -> None:
    """`why:<person>:<obligation>[:<YYYYMMDD>]`: the rule, the colour and the period of an item."""
    person_id, obligation, start = data.person_id, data.obligation, data.period_start
    if not ctx.call(may, ctx.identity, Action.view_card, person_id, now=ctx.now, today=ctx.today):
        ctx.answer("errors/not_allowed", alert=True)
        return
    why = ctx.call(
        explain,
        person_id,
        obligation,
        start,
        who=ctx.identity,
        now=ctx.now,
        today=ctx.today,
        policy=ctx.policy,
    )
    ctx.answer()
    if why is None:
        ctx.reply("reminders/why_gone", _item_buttons(ctx, person_id, None))
    else:
        ctx.reply("reminders/why", _item_buttons(ctx, person_id, obligation), why=why)


# The report that meets each obligation (`r:<kind>:<person>`, handlers.reports.card); others: the card.
REPORT_FOR = {
    "meeting": "visit",
    "drug_test": "drug_test",
    "education": "education",
    "thought_report": "thought_report",
    "quantitative_assessment": "assessment",
    "comprehensive_assessment": "assessment",
}


def _item_buttons(ctx: Ctx, person_id: int, obligation: str | None) -> Keyboard:
    """Under "why": file the report that meets it (if the caller may) and open the card."""
    row = []
    kind = REPORT_FOR.get(obligation or "")
    if kind is not None and scope_of(ctx.identity.principal, Action.write_record) is not None:
        row.append(ctx.button(f"rp_btn_{kind}", ReportStart(kind, person_id).pack()))
    row.append(ctx.button("rp_btn_card", CardOpen(person_id).pack()))
    return (tuple(row),)


def _settings_view(ctx: Ctx) -> tuple[tuple[tuple[Button, ...], ...], dict[str, object]]:
    policy = ctx.policy
    chosen = ctx.call(reminder_time, ctx.identity.worker_id) if ctx.identity.worker_id else None
    default = policy.morning_at.strftime("%H:%M")
    times = [t.strftime("%H:%M") for t in policy.reminder_times]
    buttons = [
        Button(("✓ " if t == chosen else "") + t, ReminderTime(t.replace(":", "")).pack()) for t in times
    ]
    rows = [tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4)]
    rows.append((ctx.button("rm_btn_default_time", ReminderTime("default").pack(), time=default),))
    view = {
        "current": chosen or default,
        "is_default": chosen is None,
        "quiet_from": policy.quiet_from.strftime("%H:%M"),
        "quiet_until": policy.quiet_until.strftime("%H:%M"),
    }
    return tuple(rows), view


def cmd_settings(ctx: Ctx, arg: str) -> None:
    """提醒时间: choose the time of the morning list."""
    if ctx.identity.worker_id is None:
        ctx.reply("errors/not_allowed")
        return
    rows, view = _settings_view(ctx)
    ctx.reply("reminders/settings", rows, **view)


def on_time(ctx: Ctx, data: ReminderTime) -> None:
    """`rt:<HHMM>` or `rt:default`: save my reminder time (only the offered times are taken)."""
    payload = data.time
    offered = {t.strftime("%H%M"): t.strftime("%H:%M") for t in ctx.policy.reminder_times}
    if ctx.identity.worker_id is None or (payload != "default" and payload not in offered):
        ctx.answer("dialog/stale")
        return
    value = None if payload == "default" else offered[payload]
    ctx.call(set_reminder_time, ctx.identity.worker_id, value, actor=ctx.identity.actor, now=ctx.now)
    ctx.answer()
    shown = value or ctx.policy.morning_at.strftime("%H:%M")
    if ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, "reminders/settings_saved", time=shown)
    else:
        ctx.reply("reminders/settings_saved", time=shown)


def register(router: Router, engine: Engine) -> None:
    """/today, /settings, /pause and their buttons."""
    router.command("/today", Action.view_today, cmd_today)
    router.command("/settings", Action.settings, cmd_settings, menu=STAFF)  # supervisors get no list
    router.button(TodayPage, Action.view_today, on_today_page)
    router.button(WhyOpen, Action.view_card, on_why)
    router.button(ReminderTime, Action.settings, on_time)
    reminders_pause.register(router, engine)
