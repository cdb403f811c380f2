"""面谈提醒: a family member turns meeting reminders on or off, and the morning job that reminds them.

`/meetings` shows the choice with one toggle button (`fmr:1` on, `fmr:0` off). The reminder says
only that the worker meets their relative today at HH:MM; it goes through the outbox keyed by
appointment, member and time, so a job run twice (or on two processes) sends it once, and a
meeting moved to a later hour the same day is announced again with its new time.
"""

from __future__ import annotations

from handlers.callbacks import FamilyRemindersToggle
from handlers.context import Ctx, JobCtx
from handlers.events import Button
from models.services.appointments.family import family_reminders_on, set_family_reminders
from models.services.reminders.notices import family_meeting_reminders


def _toggle(ctx: Ctx, on: bool) -> tuple[tuple[Button, ...], ...]:
    """The one button: it offers the opposite of the current choice."""
    return (
        (
            ctx.button(
                "fam_reminders_off" if on else "fam_reminders_on",
                FamilyRemindersToggle("0" if on else "1").pack(),
            ),
        ),
    )


def cmd_meetings(ctx: Ctx, _arg: str) -> None:
    """/meetings: whether reminders are on, and the button to change it."""
    on = ctx.call(family_reminders_on, ctx.identity)
    ctx.reply("appointments/family_choice", _toggle(ctx, on), on=on)


def on_toggle(ctx: Ctx, data: FamilyRemindersToggle) -> None:
    """`fmr:1` / `fmr:0`: turn reminders on or off (the message shows the new state)."""
    on = data.on == "1"
    if not ctx.call(set_family_reminders, ctx.identity, on, now=ctx.now):
        ctx.answer("errors/not_allowed", alert=True)
        return
    if ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, "appointments/family_choice", _toggle(ctx, on), on=on, changed=True)
    else:
        ctx.reply("appointments/family_choice", _toggle(ctx, on), on=on, changed=True)
    ctx.answer()


def remind_families(jctx: JobCtx) -> int:
    """This morning's reminders to families who asked (models.services.reminders.notices)."""
    return jctx.call(family_meeting_reminders, jctx, now=jctx.now, tz=jctx.policy.tz)
