"""Every error of the command line in one line: what is wrong and what to do, with an exit code.

The `gridcare` group catches what a command lets escape (one place, so a new command needs
nothing); `gridcare --debug …` prints the traceback as well. Operators read these, so they are
in the configured locale (zh_CN or en) and stay in code, not in the bot's templates.
"""

from __future__ import annotations

import traceback
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import typer
from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from bot import migrate
from bot.cli.common import errors, fail
from bot.config import ConfigError, Settings, load_settings
from bot.db import make_engine

if TYPE_CHECKING:
    # The Context TyperGroup.invoke takes: typer's own copy of click, whose module is private.
    from typer._click import Context


class ExitCode(IntEnum):
    """The exit codes of `gridcare` (README, "The command line")."""

    ok = 0
    failed = 1  # the command could not do what was asked: bad input, unknown code, configuration
    usage = 2  # wrong options or arguments (typer's own)
    unreachable = 3  # the database cannot be reached or opened
    schema_behind = 4  # the database needs `gridcare db upgrade` (or is newer than the code)
    bug = 5  # an error in gridcare itself: rerun with --debug and report it


MESSAGES = {
    "zh_CN": {
        "unreachable": "无法连接数据库 {where}（{reason}）："
        "请检查 GRIDCARE_DATABASE_URL，并确认数据库服务已启动",
        "schema_behind": "数据库结构落后于程序（{current} → {head}）：请先运行 gridcare db upgrade",
        "schema_ahead": "数据库结构（{current}）比程序（{head}）新：请使用升级数据库的那个版本的 gridcare",
        "database": "数据库出错（{reason}）：加 --debug 重新运行可查看详情",
        "config": "配置有误：{reason}",
        "file": "无法读写文件（{reason}）：请检查路径和权限",
        "bug": "程序内部错误（{reason}）：请加 --debug 重新运行，并把输出报告给维护者",
    },
    "en": {
        "unreachable": "cannot reach the database {where} ({reason}): check GRIDCARE_DATABASE_URL "
        "and that the database server is running",
        "schema_behind": "the database schema is behind the code ({current} → {head}): "
        "run gridcare db upgrade first",
        "schema_ahead": "the database schema ({current}) is newer than the code ({head}): "
        "run the gridcare version that upgraded it",
        "database": "database error ({reason}): rerun with --debug for details",
        "config": "configuration: {reason}",
        "file": "cannot read or write a file ({reason}): check the path and its permissions",
        "bug": "internal error ({reason}): rerun with --debug and report the output",
    },
}


def _first_line(text: object, limit: int = 160) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def config_reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"GRIDCARE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
    return _first_line(exc)


def _settings() -> Settings | None:
    try:
        return load_settings()
    except (ConfigError, ValueError):
        return None


def message(key: str, settings: Settings | None, **fields: object) -> str:
    """An operator's message in the configured locale (Chinese when the settings cannot be read)."""
    locale = settings.locale if settings is not None else "zh_CN"
    return MESSAGES.get(locale, MESSAGES["zh_CN"])[key].format(**fields)


def schema_behind(settings: Settings, current: str | None, head: str | None) -> str:
    """The one line for a database whose schema is not the code's: behind (upgrade it) or, with a
    revision the code does not know, ahead (a newer program upgraded it)."""
    ahead = current is not None and not migrate.knows(settings.database_url, current)
    key = "schema_ahead" if ahead else "schema_behind"
    return message(key, settings, current=current or "∅", head=head)


def explain(exc: BaseException) -> tuple[ExitCode, str]:
    """The exit code and the one line for an error a command let escape."""
    settings = _settings()
    if isinstance(exc, ConfigError) or (isinstance(exc, ValueError) and settings is None):
        return ExitCode.failed, message("config", settings, reason=config_reason(exc))
    if isinstance(exc, OSError):
        return ExitCode.failed, message("file", settings, reason=_first_line(exc))
    if isinstance(exc, CommandError) and settings is not None:  # Alembic: e.g. a revision it cannot find
        return _schema_or(ExitCode.bug, message("bug", settings, reason=_first_line(exc)), settings)
    if not isinstance(exc, DBAPIError):
        return ExitCode.bug, message("bug", settings, reason=f"{type(exc).__name__}: {_first_line(exc)}")
    reason = _first_line(exc.orig if exc.orig is not None else exc)
    if settings is None:
        return ExitCode.failed, message("database", None, reason=reason)
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    if exc.statement is None:  # raised while connecting, before any statement
        return ExitCode.unreachable, message("unreachable", settings, where=where, reason=reason)
    # A statement failed on a database that answers: a table or column missing is a schema not
    # upgraded, which the revision table tells for sure.
    return _schema_or(ExitCode.failed, message("database", settings, reason=reason), settings)


def _schema_or(code: ExitCode, line: str, settings: Settings) -> tuple[ExitCode, str]:
    """The schema's mismatch if the database's revision is not the code's, else the given error."""
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        current, head = migrate.current_and_head(engine, settings.database_url)
    except DBAPIError as probe:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        reason = _first_line(probe.orig if probe.orig is not None else probe)
        return ExitCode.unreachable, message("unreachable", settings, where=where, reason=reason)
    finally:
        engine.dispose()
    if current != head:
        return ExitCode.schema_behind, schema_behind(settings, current, head)
    return code, line


class GridcareGroup(TyperGroup):
    """The `gridcare` group: a command's escaping error becomes one line and an exit code."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # already said (fail()), or a usage error (exit 2): typer's click raises TyperExceptions
        except Exception as exc:
            if ctx.params.get("debug"):
                errors.print(traceback.format_exc(), markup=False, highlight=False, soft_wrap=True)
            code, line = explain(exc)
            raise fail(line, code) from None
