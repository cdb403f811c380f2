"""Operating the outgoing queue: `gridcare outbox status` and `gridcare outbox retry-dead`."""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.table import Table

from bot.cli.common import console, runtime
from models.services.outbox.queue import QueueState, queue_state, retry_dead

outbox_app = typer.Typer(help="The outgoing message queue (outbox).", no_args_is_help=True)


def _age(age: timedelta | None) -> str:
    if age is None:
        return "-"
    seconds = int(age.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


STATES = ("queued", "retrying", "sending", "sent", "dead")


def _tables(state: QueueState) -> tuple[Table, Table]:
    summary = Table("state", "messages", title="outbox")
    for name in STATES:
        summary.add_row(name, str(getattr(state, name)))
    summary.add_row("oldest pending", _age(state.oldest_pending))
    summary.add_row("unreachable chats", str(state.unreachable_chats))
    purposes = Table("purpose", *STATES, title="by purpose")
    for purpose, counts in sorted(state.by_purpose.items()):
        purposes.add_row(purpose, *(str(counts.get(name, 0)) for name in STATES))
    return summary, purposes


@outbox_app.command("status")
def status_cmd() -> None:
    """Queued, retrying, sending, sent and dead messages; the age of the oldest one waiting."""
    with runtime() as rt:
        state = rt.db.call(queue_state, now=rt.clock.now())
    summary, purposes = _tables(state)
    console.print(summary)
    if state.by_purpose:
        console.print(purposes)


@outbox_app.command("retry-dead")
def retry_dead_cmd(
    purpose: str = typer.Option(None, "--purpose", help="only messages of this purpose (e.g. reminder)"),
) -> None:
    """Put dead-lettered messages back in the queue, once their cause is fixed."""
    with runtime() as rt:
        count = rt.db.call(retry_dead, now=rt.clock.now(), purpose=purpose)
    console.print(f"{count} dead message(s) queued again")


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `gridcare`."""
    app.add_typer(outbox_app, name="outbox")
