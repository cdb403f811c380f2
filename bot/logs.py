"""Structured logs (structlog): ids and outcomes only, never names, phones or message texts.

structlog and the standard library (aiogram, python-telegram-bot, SQLAlchemy) go through one
handler and one renderer on stderr, so the same hygiene applies to both:
- keys that could hold personal data (`text`, `name`, `phone`, ...) are redacted, at any depth;
- tracebacks are plain, without the local variables of each frame (Rich's default shows them,
  and a frame's locals hold the incoming message);
- the bound values SQLAlchemy and PostgreSQL quote in their error messages are cut out, and so is
  the input pydantic quotes in a validation error (aiogram's, for an update it cannot read);
- the frameworks' own records that quote a whole update or request (python-telegram-bot's debug
  lines, its "Error while parsing updates") keep their wording but not the data.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import traceback
from collections.abc import Mapping
from typing import Any

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

# Field names that may carry personal data or message content, whoever logs them.
SENSITIVE_KEYS = frozenset(
    {
        "text",
        "name",
        "phone",
        "address",
        "id_number",
        "caption",
        "first_name",
        "last_name",
        "username",
        "notes",
        "description",
        "message_text",
    }
)
REDACTED = "[redacted]"
_HANDLER_NAME = "gridcare"

# "[parameters: ('张演明', '19900001234')]" in SQLAlchemy's errors; "Key (code)=(P-1)" in PostgreSQL's.
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
_PG_KEY_VALUES = re.compile(r"(Key \([^)\n]*\)=)\([^\n]*")
# "[type=missing, input_value={'text': '我的电话 139…', ...}, input_type=dict]" in pydantic's errors:
# greedy to the line's last input_type, so a text that itself says ", input_type=" is cut out whole.
_PYDANTIC_INPUT = re.compile(r"input_value=[^\n]*, input_type=")

# Framework records whose arguments are a whole update, request or response (message texts, names):
# the template, and how many leading arguments may stay (an endpoint's name).
_QUOTES_DATA = {
    "Calling Bot API endpoint `%s` with parameters `%s`": 1,
    "Call to Bot API endpoint `%s` finished with return value `%s`": 1,
    "Processing update %s": 0,
    "Dropping pending update: %s": 0,
    "Error while parsing updates! Received data was %r": 0,
}
WITHHELD = "[withheld]"


def scrub(text: str) -> str:
    """Remove the data values that errors quote (statement parameters, key values, pydantic input)."""
    text = _SQL_PARAMETERS.sub("[parameters: redacted]", text)
    text = _PYDANTIC_INPUT.sub("input_value=[redacted], input_type=", text)
    return _PG_KEY_VALUES.sub(r"\1(redacted)", text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            k: REDACTED if str(k).lower() in SENSITIVE_KEYS else _redact_value(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    return value


def redact_personal_data(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """A structlog processor: replace the values of sensitive keys, in nested mappings too."""
    for key in list(event_dict):
        if key.lower() in SENSITIVE_KEYS:
            event_dict[key] = REDACTED
        elif key not in ("event", "exc_info", "_record", "_from_structlog"):
            event_dict[key] = _redact_value(event_dict[key])
    event = event_dict.get("event")
    if isinstance(event, str):
        event_dict["event"] = scrub(event)
    return event_dict


def render_exception(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Turn `exc_info` into a plain, scrubbed traceback text under `exception` (no frame locals)."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and exc_info[0] is not None:
        event_dict["exception"] = scrub("".join(traceback.format_exception(*exc_info)).rstrip())
    return event_dict


_base_record_factory = logging.getLogRecordFactory()


def _scrubbed_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every stdlib record, for every handler (ours, pytest's, an operator's), already scrubbed."""
    record = _base_record_factory(*args, **kwargs)
    keep = _QUOTES_DATA.get(record.msg) if isinstance(record.msg, str) else None
    if keep is not None and isinstance(record.args, tuple):
        record.args = record.args[:keep] + (WITHHELD,) * (len(record.args) - keep)
    if isinstance(record.msg, str):
        # A malformed call stays as it is: the handler reports it, as logging always does.
        with contextlib.suppress(TypeError, ValueError):
            record.msg, record.args = scrub(record.getMessage()), ()
    if record.exc_info and record.exc_info[0] is not None:
        # Handlers reuse exc_text once set: this plain, scrubbed text is what all of them print.
        record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip())
    return record


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (test capture, CLI runners), never a stale one."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Route stdlib and structlog output through one renderer."""
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    shared: list[Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_personal_data,
        render_exception,
    ]
    structlog.configure(
        processors=[
            # The level lives in the stdlib loggers, so a later call takes effect even for loggers
            # structlog has cached already.
            structlog.stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_logger_name,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = _CurrentStderr()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    logging.setLogRecordFactory(_scrubbed_record)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL, and a URL carries the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
