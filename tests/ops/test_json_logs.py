"""GRIDCARE_LOG_FORMAT=json: one JSON object a line, for log shippers, with the same hygiene as the
console format (issue 18)."""

from __future__ import annotations

import json
import logging

import pytest
import structlog
from pydantic import ValidationError

from bot.config import LogFormat, Settings
from bot.logs import REDACTED, configure_logging


@pytest.fixture
def json_logs():
    settings = Settings(log_format="json")
    configure_logging("INFO", json=settings.log_format is LogFormat.json)
    yield
    configure_logging("INFO")


def records(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_structlog_and_library_records_are_json_lines_without_personal_data(json_logs, capsys):
    structlog.get_logger("gridcare.test").info("person_saved", person_id=7, phone="13900001234")
    logging.getLogger("sqlalchemy.test").warning("pool %s exhausted", "main")
    first, second = records(capsys.readouterr().err)
    assert first["event"] == "person_saved" and first["person_id"] == 7 and first["level"] == "info"
    assert first["phone"] == REDACTED and first["logger"] == "gridcare.test"
    assert first["timestamp"].endswith("Z")
    assert second["event"] == "pool main exhausted" and second["level"] == "warning"


def test_an_exception_is_one_json_line_with_a_plain_traceback(json_logs, capsys):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        structlog.get_logger("gridcare.test").exception("job_failed", job="drafts")
    (record,) = records(capsys.readouterr().err)
    assert record["event"] == "job_failed" and "RuntimeError: boom" in record["exception"]


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValidationError, match="log_format"):
        Settings(log_format="xml")
