"""`gridcare backup FILE`, `gridcare restore FILE` and `gridcare worker deactivate CODE --successor CODE`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from bot import migrate
from bot.cli import backup_pg
from bot.cli.common import console, errors, fail, runtime
from bot.config import ConfigError, Settings, load_settings
from models.audit import Actor, audit
from models.services.backup.sqlite import (
    BackupError,
    NotSQLite,
    backup_sqlite,
    inspect_backup,
    restore_sqlite,
    sqlite_path,
)
from models.services.directory.entries import NotFound
from models.services.directory.handover import hand_over
from models.services.directory.workforce import RoleMismatch, WorkforceError
from models.services.keys import unreadable

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
    """Copy the database to FILE, safely while the bot runs (SQLite's backup API, or pg_dump)."""
    settings = _settings()
    if backup_pg.applies(settings):
        backup_pg.backup(settings, file, overwrite=overwrite)
        _key_warning("GRIDCARE_SECRET_KEY")
        return
    source = _database_file(settings)
    try:
        info = backup_sqlite(source, file, overwrite=overwrite)
    except BackupError as exc:
        raise fail(str(exc)) from None
    backup_pg.audited("backup", f"file={file.name[:100]};revision={info.revision};bytes={info.size}")
    console.print(f"backup written: {info.path} ({info.size} bytes, schema {info.revision})")
    console.print(
        "verify it: it passed SQLite's integrity check; to test a restore, copy it to a scratch file and "
        "run `gridcare doctor` with GRIDCARE_DATABASE_URL=sqlite:///<that copy>",
        soft_wrap=True,
    )
    key_file = source.with_name(source.name + ".key")
    _key_warning(
        f"{key_file}" if settings.secret_key is None and key_file.exists() else "GRIDCARE_SECRET_KEY"
    )


def _key_warning(where: str) -> None:
    errors.print(
        f"[yellow]The encryption key is not in the backup.[/] Keep {where} safe and apart from it: "
        "without the key, ID numbers, phones and addresses in the backup cannot be read."
    )


def restore_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="a file made by `gridcare backup`"),
    yes: bool = typer.Option(False, "--yes", help="do not ask for confirmation"),
) -> None:
    """Replace the database with a backup (SQLite: a safety copy of the current one is kept)."""
    settings = _settings()
    if backup_pg.applies(settings):
        backup_pg.restore(settings, file, yes=yes)
        return
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
        # In the restored database's own trail (audit_log is the same table in every revision).
        detail = f"file={file.name[:100]};revision={info.revision};bytes={info.size}"
        rt.db.call(audit, Actor.cli(), "restore", "database", None, at=rt.clock.now(), detail=detail)
    if current != head:
        console.print(f"the backup's schema is {current}, the code expects {head}: run `gridcare db upgrade`")
    if missing:
        errors.print(f"[red]the key ring cannot open some sealed values:[/] {missing}; add the backup's key")


def worker_deactivate(
    code: str = typer.Argument(..., help="the leaving worker's code"),
    successor: str = typer.Option(..., "--successor", help="the code of the worker who takes over"),
    any_role: bool = typer.Option(False, "--any-role", help="allow a successor with another role"),
) -> None:
    """A worker leaves: unlink their Telegram account at once, hand their caseload over, tell the families."""
    with runtime() as rt:
        now = rt.clock.now()
        try:
            with rt.db.unit_of_work() as session:
                done, handover = hand_over(
                    session,
                    rt.job_context(session, now),
                    code,
                    successor,
                    actor=Actor.cli(),
                    now=now,
                    today=rt.policy.local_date(now),
                    any_role=any_role,
                )
        except NotFound as exc:
            raise fail(f"not found: {exc}") from None
        except RoleMismatch as exc:
            raise fail(f"{exc}; pass --any-role to hand over anyway") from None
        except WorkforceError as exc:
            raise fail(str(exc)) from None
    console.print(
        f"{done.worker_code} deactivated{' and unlinked' if done.was_linked else ''}; "
        f"{done.moved} assignment(s) of {done.persons} person(s) moved to {done.successor.code}"
    )
    if done.invites_revoked:
        console.print(f"{done.invites_revoked} unused invite(s) of {done.worker_code} revoked")
    console.print(
        f"{handover.families_told} family member(s) told the new contact; "
        f"successor {'told' if handover.successor_told else 'not told'}"
    )


def register(app: typer.Typer) -> None:
    """Adds backup, restore and `worker deactivate` to `gridcare`."""
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
    worker_app = typer.Typer(help="Workers leaving the job.", no_args_is_help=True)
    worker_app.command("deactivate")(worker_deactivate)
    app.add_typer(worker_app, name="worker")
