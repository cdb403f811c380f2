"""Backup and restore of a PostgreSQL database with its own tools, pg_dump and pg_restore.

`gridcare backup` runs pg_dump (custom format: compressed, restorable table by table) and then
reads the dump's table of contents back with `pg_restore --list`, so a truncated or unreadable
file is caught at once. `gridcare restore` runs pg_restore in one transaction: the database is
either the backup's or, if anything fails, what it was. The password never goes on a command
line (other users of the machine can read those): it is passed in PGPASSWORD, or comes from
PGPASSWORD / ~/.pgpass as for any PostgreSQL client. When the tools are missing, the commands are
printed instead (models.services.backup.sqlite.NotSQLite).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from models.services.backup.sqlite import BackupError

TOOLS = ("pg_dump", "pg_restore")
TIMEOUT = 6 * 3600  # seconds: a city's database takes minutes; a stuck tool is stopped in time


@dataclass(frozen=True)
class DumpInfo:
    path: Path
    size: int
    entries: int  # items in the dump's table of contents (tables, data, indexes ...)


def tools_present() -> bool:
    return all(shutil.which(tool) for tool in TOOLS)


def _target(url: str) -> tuple[str, dict[str, str]]:
    """The URL for the tools (no driver, no password) and the environment carrying the password."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 (fixed tools, arguments from the settings and the CLI)
            args, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} did not finish within {TIMEOUT // 3600} h") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{what} failed ({done.returncode}): {reason}")
    return done.stdout


def verify_dump(file: Path) -> DumpInfo:
    """Read the dump's table of contents back: a file pg_restore cannot read is no backup."""
    listing = _run(["pg_restore", "--list", str(file)], dict(os.environ), "pg_restore --list")
    entries = sum(1 for line in listing.splitlines() if line and not line.startswith(";"))
    if entries == 0:
        raise BackupError(f"{file} holds nothing pg_restore can restore")
    return DumpInfo(file, file.stat().st_size, entries)


def dump(url: str, file: Path, *, overwrite: bool = False) -> DumpInfo:
    """pg_dump the database to `file` (written beside it, moved into place when complete and read back)."""
    if file.exists() and not overwrite:
        raise BackupError(f"{file} exists: choose another name, or pass --overwrite")
    target, env = _target(url)
    partial = file.with_name(file.name + ".partial")
    try:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}", target], env, "pg_dump")
        verify_dump(partial)
        partial.replace(file)
    finally:
        partial.unlink(missing_ok=True)
    return verify_dump(file)


def restore(url: str, file: Path) -> DumpInfo:
    """Replace the database's objects with the dump's, in one transaction."""
    info = verify_dump(file)
    target, env = _target(url)
    args = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        f"--dbname={target}",
    ]
    _run([*args, str(file)], env, "pg_restore")
    return info


def how_to_verify(file: Path) -> str:
    """What an operator runs to convince themselves a dump is good."""
    return (
        f"verify it: `pg_restore --list {file}` shows what it holds; better, restore it into a scratch "
        f"database (`createdb gridcare_check && pg_restore --no-owner --dbname=gridcare_check {file}`) "
        "and run `gridcare doctor` with GRIDCARE_DATABASE_URL pointing there"
    )
