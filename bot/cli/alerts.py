"""`gridcare alerts --unrouted`: alerts some role of which nobody could take, until someone can."""

from __future__ import annotations

import typer
from rich.table import Table

from bot.cli.common import console, fail, runtime
from bot.cli.errors import ExitCode
from models.audit import Actor
from models.services.alerts.unrouted import listed_for


def alerts_cmd(
    unrouted: bool = typer.Option(
        False, "--unrouted", help="alerts with a role nobody linked could be found for (the only listing)"
    ),
) -> None:
    """List alerts that reached nobody of some role (no linked, active account up the grid tree)."""
    if not unrouted:
        raise fail("say which alerts: gridcare alerts --unrouted", ExitCode.usage)
    with runtime() as rt, rt.db.unit_of_work() as session:
        found = listed_for(session, Actor.cli(), now=rt.clock.now())
    if not found:
        console.print("no unrouted alerts: every alert reached someone of each role it names")
        return
    table = Table("alert", "kind", "person", "area", "raised", "nobody linked as")
    for alert in found:
        raised = alert.created_at.astimezone(rt.tz).strftime("%Y-%m-%d %H:%M")
        roles = ", ".join(str(r) for r in alert.roles)
        table.add_row(str(alert.id), alert.kind, alert.person_code, alert.area_code, raised, roles)
    console.print(table)
    console.print(f"{len(found)} unrouted alert(s); they are listed in the digest of every supervisor above")


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `gridcare`."""
    app.command("alerts")(alerts_cmd)
