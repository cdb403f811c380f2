"""Backup and restore (备份与恢复) of a SQLite database, safely while the bot runs; PostgreSQL's tools named.

SQLite: the online backup API copies a consistent snapshot page by page through SQLite's own
locking, so the bot keeps reading and writing (in WAL mode a reader never blocks the writer).
A plain file copy is not safe: it can catch a half-written page, or miss what still sits in the
`-wal` file. The copy is checked (`PRAGMA integrity_check`), made a self-contained single file
and moved into place only when complete. Restore runs the same API the other way, into the live
file, so open connections see either the old or the new database, never a mixture.

PostgreSQL: pg_dump and pg_restore do this properly: models/services/backup/postgres.py runs them, and
when they are not installed the commands are printed instead.

The field encryption key is not in the database and so not in the backup: keep it separately.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """The backup cannot be taken or restored; the message says why and what to do."""


class NotSQLite(BackupError):
    """The database is not a SQLite file: use the PostgreSQL tools (the message names them)."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    revision: str | None  # the schema revision inside (alembic)


def sqlite_path(url: str) -> Path:
    """The file behind a SQLite URL; NotSQLite (with the pg_dump/pg_restore commands) otherwise."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        dump, restore = postgres_commands(url, "FILE")
        raise NotSQLite(
            "gridcare backup/restore handle SQLite files only; for PostgreSQL use its own tools:\n"
            f"  backup:  {dump}\n  restore: {restore}\n"
            "(the password comes from PGPASSWORD or ~/.pgpass, never from the command line)"
        )
    if parsed.database in (None, "", ":memory:"):
        raise BackupError("an in-memory SQLite database has no file to back up")
    return Path(parsed.database)


def postgres_commands(url: str, file: str) -> tuple[str, str]:
    """The pg_dump and pg_restore command lines for this database (password left out)."""
    parsed = make_url(url).set(drivername="postgresql", password=None)
    target = parsed.render_as_string(hide_password=False)
    dump = f'pg_dump --format=custom --no-owner --file="{file}" "{target}"'
    restore = f'pg_restore --clean --if-exists --no-owner --single-transaction --dbname="{target}" "{file}"'
    return dump, restore


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _check(conn: sqlite3.Connection, what: str) -> None:
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not a SQLite database ({exc})") from None
    if result is None or result[0] != "ok":
        raise BackupError(f"{what} failed the integrity check: {result[0] if result else '?'}")


def backup_sqlite(source: Path, target: Path, *, overwrite: bool = False) -> BackupInfo:
    """Copy the live database at `source` to `target` (mode 0600), consistent even while it is written."""
    if not source.exists():
        raise BackupError(f"no database file at {source}")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already")
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    # Created 0600 before any byte is written: the copy holds names and sealed fields.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with (
            contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
            contextlib.closing(sqlite3.connect(partial)) as dst,
        ):
            # One step (pages=-1): a single read snapshot, so writers elsewhere cannot restart it.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            _check(dst, "the copy")
            revision = _revision(dst)
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupInfo(target, target.stat().st_size, revision)


def inspect_backup(path: Path) -> BackupInfo:
    """Check that `path` is an intact Gridcare database; its schema revision."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        _check(conn, str(path))
        revision = _revision(conn)
    if revision is None:
        raise BackupError(f"{path} is not a Gridcare database (no schema revision inside)")
    return BackupInfo(path, path.stat().st_size, revision)


def restore_sqlite(backup: Path, target: Path) -> BackupInfo:
    """Replace the database at `target` with the backup, through SQLite's locking (other connections wait)."""
    info = inspect_backup(backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # a new database file is the owner's only, as a backup
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with (
        contextlib.closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as src,
        contextlib.closing(sqlite3.connect(target, timeout=30)) as dst,
    ):
        src.backup(dst)
        _check(dst, "the restored database")
    return info
