"""`gridcare backup FILE`, `gridcare restore FILE` and `gridcare worker deactivate CODE --successor CODE`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from bot import migrate
from bot.cli.common import console, errors, fail, runtime
from bot.config import ConfigError, Settings, load_settings
from handlers.render import Renderer
from models.audit import Actor
from models.services.backup import (
    BackupError,
    NotSQLite,
    backup_sqlite,
    inspect_backup,
    restore_sqlite,
    sqlite_path,
)
from models.services.directory import NotFound
from models.services.identity import chat_locale
from models.services.keys import unreadable
from models.services.outbox import enqueue, send_payload
from models.services.workforce import Deactivation, RoleMismatch, WorkforceError, deactivate_worker

NOT_SQLITE_EXIT = 2


def _settings() -> Settings:
    try:
        return load_settings()
    except (ConfigError, ValueError) as exc:
        raise fail(str(exc)) from None


def _database_file(settings: Settings) -> Path:
    try:
        return sqlite_path(settings.database_url)
    except NotSQLite as exc:
        raise fail(str(exc), code=NOT_SQLITE_EXIT) from None
    except BackupError as exc:
        raise fail(str(exc)) from None


def backup_cmd(
    file: Path = typer.Argument(..., dir_okay=False, help="where to write the copy"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace FILE if it exists"),
) -> None:
    """Copy the SQLite database to FILE, safely while the bot runs (PostgreSQL: prints pg_dump)."""
    settings = _settings()
    source = _database_file(settings)
    try:
        info = backup_sqlite(source, file, overwrite=overwrite)
    except BackupError as exc:
        raise fail(str(exc)) from None
    console.print(f"backup written: {info.path} ({info.size} bytes, schema {info.revision})")
    key_file = source.with_name(source.name + ".key")
    where = f"{key_file}" if settings.secret_key is None and key_file.exists() else "GRIDCARE_SECRET_KEY"
    errors.print(
        f"[yellow]The encryption key is not in the backup.[/] Keep {where} safe and apart from it: "
        "without the key, ID numbers, phones and addresses in the backup cannot be read."
    )


def restore_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="a file made by `gridcare backup`"),
    yes: bool = typer.Option(False, "--yes", help="do not ask for confirmation"),
) -> None:
    """Replace the SQLite database with a backup (a safety copy of the current one is kept)."""
    settings = _settings()
    target = _database_file(settings)
    try:
        inspect_backup(file)  # before anything is asked or touched
    except BackupError as exc:
        raise fail(str(exc)) from None
    if not yes:
        typer.confirm(f"Replace the database {target} with {file}? Stop the bot first.", abort=True, err=True)
    try:
        if target.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            safety = backup_sqlite(target, target.with_name(f"{target.name}.before-restore-{stamp}"))
            console.print(f"the current database was saved to {safety.path}")
        info = restore_sqlite(file, target)
    except BackupError as exc:
        raise fail(str(exc)) from None
    console.print(f"restored {file} (schema {info.revision}) into {target}")
    with runtime() as rt:
        current, head = migrate.current_and_head(rt.db.engine, rt.settings.database_url)
        missing = rt.db.call(unreadable, rt.keys)
    if current != head:
        console.print(f"the backup's schema is {current}, the code expects {head}: run `gridcare db upgrade`")
    if missing:
        errors.print(f"[red]the key ring cannot open some sealed values:[/] {missing}; add the backup's key")


def notify_handover(session: Session, done: Deactivation, renderer: Renderer, *, now: datetime) -> int:
    """Queue, in the deactivation's unit of work, the families' and the successor's messages."""
    queued = 0
    for notice in done.families:
        locale = renderer.locale_of(chat_locale(session, notice.chat_id))
        text = renderer.render(locale, "security/worker_left", worker=done.successor)
        key = f"worker_left:{done.worker_id}:{notice.family_member_id}:{done.successor_id}"
        queued += (
            enqueue(
                session,
                chat_id=notice.chat_id,
                purpose="notice",
                dedupe_key=key,
                payload=send_payload(text),
                now=now,
            )
            is not None
        )
    if done.successor_chat_id is not None and done.moved:
        locale = renderer.locale_of(chat_locale(session, done.successor_chat_id))
        text = renderer.render(
            locale, "security/caseload_received", persons=done.persons, previous=done.worker_name
        )
        key = f"caseload_received:{done.worker_id}:{done.successor_id}:{now:%Y%m%d%H%M}"
        payload = send_payload(text)
        queued += (
            enqueue(
                session,
                chat_id=done.successor_chat_id,
                purpose="notice",
                dedupe_key=key,
                payload=payload,
                now=now,
            )
            is not None
        )
    return queued


def worker_deactivate(
    code: str = typer.Argument(..., help="the leaving worker's code"),
    successor: str = typer.Option(..., "--successor", help="the code of the worker who takes over"),
    any_role: bool = typer.Option(False, "--any-role", help="allow a successor with another role"),
) -> None:
    """A worker leaves: unlink their Telegram account at once, hand their caseload over, tell the families."""
    with runtime() as rt:
        renderer = Renderer(rt.tz, default_locale=rt.settings.locale)
        now = rt.clock.now()
        try:
            with rt.db.unit_of_work() as session:
                done = deactivate_worker(
                    session,
                    code,
                    successor,
                    actor=Actor.cli(),
                    now=now,
                    today=rt.policy.local_date(now),
                    any_role=any_role,
                )
                queued = notify_handover(session, done, renderer, now=now)
        except NotFound as exc:
            raise fail(f"not found: {exc}") from None
        except RoleMismatch as exc:
            raise fail(f"{exc}; pass --any-role to hand over anyway") from None
        except WorkforceError as exc:
            raise fail(str(exc)) from None
    console.print(
        f"{done.worker_code} deactivated{' and unlinked' if done.was_linked else ''}; "
        f"{done.moved} assignment(s) of {done.persons} person(s) moved to {done.successor.code}; "
        f"{len(done.families)} family member(s) told; {queued} message(s) queued"
    )


def register(app: typer.Typer) -> None:
    """Adds backup, restore and `worker deactivate` to `gridcare`."""
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
    worker_app = typer.Typer(help="Workers leaving the job.", no_args_is_help=True)
    worker_app.command("deactivate")(worker_deactivate)
    app.add_typer(worker_app, name="worker")
