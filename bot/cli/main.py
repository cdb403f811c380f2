"""The top-level `gridcare` command and its small sub-commands."""

from __future__ import annotations

import typer
from rich.table import Table

from bot import migrate
from bot.cli import alerts, data, digest, doctor, obligations, ops, person_rules, security, serve, sweep
from bot.cli.common import console, fail, runtime
from bot.cli.errors import ExitCode, GridcareGroup, schema_behind
from bot.config import ConfigError, load_settings, new_key_text
from models.audit import Actor
from models.services.directory.entries import NotFound
from models.services.directory.invites import invite_family, invite_worker

app = typer.Typer(no_args_is_help=True, cls=GridcareGroup)  # help: the docstring of main()
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
keys_app = typer.Typer(help="Field encryption keys.", no_args_is_help=True)
invite_app = typer.Typer(help="One-time invite links for workers and families.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(keys_app, name="keys")
app.add_typer(invite_app, name="invite")
for module in (data, serve, sweep, ops, digest, security, person_rules, obligations, alerts, doctor):
    module.register(app)


@app.callback()
def main(
    debug: bool = typer.Option(False, "--debug", help="on an error, print the traceback too"),
) -> None:
    """Gridcare: a Telegram assistant for community drug rehabilitation.

    An error prints one line: what is wrong and what to do (--debug adds the traceback).
    Exit codes: 0 done, 1 failed, 2 wrong usage, 3 database unreachable,
    4 schema not the code's (behind: run gridcare db upgrade), 5 a bug in gridcare.
    """
    # `debug` is read where errors are caught: bot.cli.errors.GridcareGroup.


@config_app.command("show")
def config_show() -> None:
    """Print the effective configuration, secrets masked."""
    try:
        settings = load_settings()
    except (ConfigError, ValueError) as exc:
        raise fail(str(exc)) from None
    table = Table("setting", "value")
    for name, value in settings.masked().items():
        table.add_row(f"GRIDCARE_{name.upper()}", str(value))
    console.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision (Alembic)."""
    with runtime() as rt:
        migrate.upgrade(rt.settings.database_url, keys=rt.keys)
        current, _ = migrate.current_and_head(rt.db.engine, rt.settings.database_url)
    console.print(f"schema at revision [bold]{current}[/]")


@db_app.command("check")
def db_check() -> None:
    """Exit 0 if the schema is current, 1 if it needs `gridcare db upgrade`."""
    with runtime() as rt:
        current, head = migrate.current_and_head(rt.db.engine, rt.settings.database_url)
    if current != head:
        raise fail(schema_behind(rt.settings, current, head), ExitCode.schema_behind)
    console.print(f"schema current ({head})")


@keys_app.command("new")
def keys_new(kid: str = typer.Option("k1", help="key id")) -> None:
    """Print a new random key for GRIDCARE_SECRET_KEY."""
    console.print(new_key_text(kid), soft_wrap=True)


def _print_invite(code: str, expires: str, bot_username: str | None) -> None:
    console.print(f"code: [bold]{code}[/]   expires: {expires}")
    name = bot_username or "<bot>"
    console.print(f"link: https://t.me/{name}?start={code}", soft_wrap=True)


@invite_app.command("worker")
def invite_worker_cmd(
    worker_code: str, bot_username: str = typer.Option(None, "--bot", help="the bot's @username")
) -> None:
    """Make a one-time invite that links a Telegram account to a worker."""
    with runtime() as rt:
        try:
            made = rt.db.call(invite_worker, worker_code, actor=Actor.cli(), now=rt.clock.now())
        except NotFound:
            raise fail(f"no active worker with code {worker_code}") from None
    _print_invite(made.code, made.expires_at.isoformat(timespec="minutes"), bot_username)


@invite_app.command("family")
def invite_family_cmd(
    person_code: str,
    relation: str = typer.Option(..., "--relation", help="e.g. 母亲, 配偶"),
    bot_username: str = typer.Option(None, "--bot", help="the bot's @username"),
) -> None:
    """Make a one-time invite for a family member of a person."""
    with runtime() as rt:
        try:
            made = rt.db.call(invite_family, person_code, relation, actor=Actor.cli(), now=rt.clock.now())
        except NotFound:
            raise fail(f"no person with code {person_code}") from None
    _print_invite(made.code, made.expires_at.isoformat(timespec="minutes"), bot_username)
