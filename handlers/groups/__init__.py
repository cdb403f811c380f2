"""Group sessions (集中教育 and campaign-day activities, issue 14.5): many people, one confirmation.

`/group` shows the caller's caseload as tick buttons (handlers.groups.picker): tick a few, or
everyone, then « next »; the `group` form (handlers.groups.form) asks the kind, topic and day
once and, confirmed, files one education record per person, each audited.
"""

from __future__ import annotations

from handlers.dialogs.engine import Engine
from handlers.groups.form import GROUP
from handlers.groups.picker import GroupPickV1, cmd_group, on_pick
from handlers.router import Router
from models.access import Action


def register(router: Router, engine: Engine) -> None:
    """/group, its picker's buttons and its form."""
    engine.add(GROUP)
    router.command("/group", Action.write_record, cmd_group)
    router.button(
        GroupPickV1,
        Action.write_record,
        on_pick,
        junk=lambda ctx: on_pick(ctx, None),
    )
