"""Security commands: `gridcare keys rotate|status`, `audit`, `access-matrix`, and (security_ops)
`backup`, `restore`, `worker deactivate`."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from bot.cli import security_ops
from bot.cli.common import console, errors, fail, runtime
from models.access_doc import access_matrix_markdown, embed
from models.audit import Actor
from models.services.audit_query import DEFAULT_LIMIT, AuditLine, actor_trail, parse_actor, person_trail
from models.services.directory.entries import NotFound
from models.services.family.tips import reveal_tipster
from models.services.keys import (
    BatchResult,
    RotationError,
    pending,
    record_rotation,
    rotate_keys,
    trial_open,
    unreadable,
)


def _group(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """The sub-command group `name` of `app` (e.g. `keys`, made in bot/cli/main.py), or a new one."""
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


def keys_rotate(
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="rows per transaction"),
    max_batches: int = typer.Option(None, "--max-batches", min=1, help="stop after this many (resume later)"),
) -> None:
    """Re-seal every encrypted field under the first key of GRIDCARE_SECRET_KEY, while the bot runs."""
    with runtime() as rt:
        todo = sum(rt.db.call(pending, rt.keys).values())
        missing = rt.db.call(unreadable, rt.keys)
        if missing:
            raise fail(
                f"values sealed under keys the ring lacks: {missing}; add those keys after the new one"
            )
        console.print(f"active key [bold]{rt.keys.active_kid}[/]: {todo} value(s) to re-seal")
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("re-sealing", total=todo or None)

            def advance(result: BatchResult) -> None:
                bar.advance(task, result.resealed)

            try:
                report = rotate_keys(
                    rt.db.call, rt.keys, batch_size=batch_size, max_batches=max_batches, progress=advance
                )
            except RotationError as exc:
                raise fail(str(exc)) from None
        rt.db.call(record_rotation, report, actor=Actor.cli(), now=rt.clock.now())
        left = rt.db.call(pending, rt.keys)
    console.print(f"re-sealed {report.resealed} value(s) in {report.batches} batch(es)")
    if any(left.values()):
        console.print(f"still under older keys: { {k: v for k, v in left.items() if v} }")
        console.print("run `gridcare keys rotate` again to continue")
        if max_batches is None:  # a full run left some: a process still seals under an old key?
            raise typer.Exit(1)
        return
    console.print("every sealed value is under the active key: the older keys can now be removed")


def keys_status(
    sample: int = typer.Option(200, "--sample", min=1, help="values per column to open on trial"),
) -> None:
    """Per column: values not yet under the active key, under keys the ring lacks, and a random
    sample opened on trial (exit 1 if anything is left to rotate or a value does not open).

    Starting already checked every key of the ring against the check value of its id."""
    with runtime() as rt:
        left = rt.db.call(pending, rt.keys)
        missing = rt.db.call(unreadable, rt.keys)
        trials = {t.label: t for t in rt.db.call(trial_open, rt.keys, sample=sample)}
    table = Table(
        "column",
        f"not under {rt.keys.active_kid}",
        "under a key not in the ring",
        "opened on trial",
        "failed",
    )
    for label, count in left.items():
        trial = trials[label]
        table.add_row(
            label,
            str(count),
            str(missing.get(label, 0)),
            str(trial.tried - len(trial.failed)),
            str(len(trial.failed)),
        )
    console.print(table)
    console.print(f"keys {', '.join(rt.keys.kids)}: each matches the check value of its id")
    failed = [t for t in trials.values() if t.failed]
    for trial in failed:  # row ids only: they name no one
        ids = ", ".join(map(str, trial.failed[:20])) + (" …" if len(trial.failed) > 20 else "")
        errors.print(
            f"[red]{trial.label}: {len(trial.failed)} value(s) do not open[/] (ids {ids})", soft_wrap=True
        )
    if failed or any(left.values()):
        raise typer.Exit(1)


def _print_trail(lines: list[AuditLine], title: str, tz: tzinfo) -> None:
    """A table on a terminal; tab-separated lines otherwise, for grep and spreadsheets."""
    rows = [
        (
            line.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            line.actor,
            line.actor_role or "",
            line.action,
            line.record,
            line.person_code or "",
            line.detail or "",
        )
        for line in reversed(lines)  # oldest first, reading down
    ]
    headers = ("at", "actor", "role", "action", "record", "person", "detail")
    if not console.is_terminal:
        typer.echo(f"# {title}")
        for row in (headers, *rows):
            typer.echo("\t".join(row))
        return
    table = Table(Column("at", no_wrap=True), *headers[1:], title=title)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def audit_cmd(
    person: str = typer.Option(None, "--person", help="a person's code"),
    actor: str = typer.Option(
        None, "--actor", help="worker:ID, worker:CODE, family:ID, cli, system, telegram"
    ),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", min=1, help="the newest N entries"),
) -> None:
    """Print the audit trail of a person or of an actor (this read is audited too)."""
    if (person is None) == (actor is None):
        raise fail("give exactly one of --person CODE or --actor KIND:ID")
    with runtime() as rt:
        now = rt.clock.now()
        try:
            if person is not None:
                lines = rt.db.call(person_trail, person, actor=Actor.cli(), now=now, limit=limit)
                title = f"audit trail of person {person}"
            else:
                who = rt.db.call(parse_actor, actor)
                lines = rt.db.call(actor_trail, who, actor=Actor.cli(), now=now, limit=limit)
                title = f"audit trail of {actor}"
        except NotFound as exc:
            raise fail(f"not found: {exc}") from None
        _print_trail(lines, f"{title} ({len(lines)} newest entries)", rt.tz)


def access_matrix_cmd(
    write: Path = typer.Option(None, "--write", help="update the table embedded in this file (SECURITY.md)"),
) -> None:
    """Print the access matrix (roles × actions × scope) as Markdown, or embed it into a document."""
    table = access_matrix_markdown()
    if write is None:
        typer.echo(table, nl=False)
        return
    try:
        write.write_text(embed(write.read_text(encoding="utf-8"), table), encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise fail(f"{write}: {exc}") from None
    errors.print(f"updated the access matrix in {write}")


def tips_reveal_cmd(tip_id: int) -> None:
    """Reveal who sent an anonymous tip (audited; for the administrator only, on lawful request)."""
    with runtime() as rt:
        tipster = rt.db.call(reveal_tipster, tip_id, Actor.cli(), rt.keys, rt.clock.now())
    if tipster is None:
        raise fail(f"no tip {tip_id}")
    who = f"Telegram user {tipster.telegram_user_id}, family member {tipster.family_member_id}"
    console.print(f"tip {tipster.tip_id}: {who}")


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `gridcare`."""
    tips = _group(app, "tips", "Anonymous tips.")
    tips.command("reveal")(tips_reveal_cmd)
    keys = _group(app, "keys", "Field encryption keys.")
    keys.command("rotate")(keys_rotate)
    keys.command("status")(keys_status)
    app.command("audit")(audit_cmd)
    app.command("access-matrix")(access_matrix_cmd)
    security_ops.register(app)
