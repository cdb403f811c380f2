"""`gridcare backup` / `restore` on PostgreSQL, when pg_dump and pg_restore are installed
(models/services/backup/postgres.py); both audited."""

from __future__ import annotations

from pathlib import Path

import typer

from bot import migrate
from bot.cli.common import console, errors, fail, runtime
from bot.config import Settings
from models.audit import Actor, audit
from models.services.backup import postgres as backup_pg
from models.services.backup.sqlite import BackupError
from models.services.keys import unreadable


def applies(settings: Settings) -> bool:
    """PostgreSQL with its tools at hand (otherwise the commands are printed, as before)."""
    return not settings.is_sqlite and backup_pg.tools_present()


def audited(action: str, detail: str) -> None:
    """The backup or restore in the database's own audit trail."""
    with runtime() as rt:
        rt.db.call(audit, Actor.cli(), action, "database", None, at=rt.clock.now(), detail=detail)


def backup(settings: Settings, file: Path, *, overwrite: bool) -> None:
    try:
        info = backup_pg.dump(settings.database_url, file, overwrite=overwrite)
    except BackupError as exc:
        raise fail(str(exc)) from None
    audited("backup", f"file={file.name[:100]};bytes={info.size};entries={info.entries}")
    console.print(f"backup written: {info.path} ({info.size} bytes, {info.entries} entries)")
    console.print(backup_pg.how_to_verify(file), soft_wrap=True)


def restore(settings: Settings, file: Path, *, yes: bool) -> None:
    try:
        info = backup_pg.verify_dump(file)  # before anything is asked or touched
    except BackupError as exc:
        raise fail(str(exc)) from None
    if not yes:
        typer.confirm(
            f"Replace the database's contents with {file}? Stop the bot first.", abort=True, err=True
        )
    try:
        backup_pg.restore(settings.database_url, file)
    except BackupError as exc:
        raise fail(f"{exc} (nothing was changed: the restore runs in one transaction)") from None
    audited("restore", f"file={file.name[:100]};bytes={info.size};entries={info.entries}")
    console.print(f"restored {file} ({info.entries} entries)")
    with runtime() as rt:
        current, head = migrate.current_and_head(rt.db.engine, rt.settings.database_url)
        missing = rt.db.call(unreadable, rt.keys)
    if current != head:
        console.print(f"the backup's schema is {current}, the code expects {head}: run `gridcare db upgrade`")
    if missing:
        errors.print(f"[red]the key ring cannot open some sealed values:[/] {missing}; add the backup's key")
