"""Alembic, driven from code: `gridcare db upgrade` and `gridcare db check`."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

from bot.config import ConfigError
from models.crypto import CryptoError, KeyRing


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("migrations")))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", *, keys: KeyRing | None = None) -> None:
    """Bring the schema up to `revision`; `keys` for a migration that re-seals values (0013)."""
    cfg = alembic_config(url)
    cfg.attributes["keys"] = keys
    try:
        command.upgrade(cfg, revision)
    except CryptoError as exc:  # a key missing or wrong: nothing was changed (one transaction)
        raise ConfigError(str(exc)) from None


def current_and_head(engine: Engine, url: str) -> tuple[str | None, str | None]:
    """The database's revision and the code's newest one."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head


def knows(url: str, revision: str) -> bool:
    """Whether the code has this revision (a database upgraded by a newer program has one it has not)."""
    try:
        return ScriptDirectory.from_config(alembic_config(url)).get_revision(revision) is not None
    except CommandError:
        return False
