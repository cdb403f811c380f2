"""Legal education session (法制教育): one to one or in a group, on which topic, when."""

from __future__ import annotations

from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import clean, notes_step, occurred_at, options, person_step, when_step
from handlers.dialogs.engine import Invalid, Step
from handlers.reports.saving import report_dialog
from models.records import RecordKind
from models.services.reporting.records import NewRecord

FORMATS = ("individual", "group")
TOPICS = ("law", "agreement", "health", "employment")  # label keys rp_topic_*; any typed topic too
TOPIC_MAX = 60


def typed_topic(ctx: Ctx, data: dict[str, Any], text: str) -> str:
    """A topic not on the buttons, typed: kept as text, prefixed so it never clashes with a key."""
    topic = clean(text)
    if not topic:
        raise Invalid("dialog/invalid_empty")
    if len(topic) > TOPIC_MAX:
        raise Invalid("dialog/invalid_too_long", limit=TOPIC_MAX, length=len(topic))
    return f"text:{topic}"


def build(ctx: Ctx, data: dict[str, Any]) -> NewRecord:
    topic = data["topic"]
    return NewRecord(
        person_id=int(data["person"]),
        kind=RecordKind.education,
        subkind=data["format"],
        occurred_at=occurred_at(ctx, data["when"]),
        notes=data.get("notes"),
        details={"topic": topic.removeprefix("text:")} if topic.startswith("text:") else {"topic_key": topic},
    )


EDUCATION = report_dialog(
    "education",
    (
        person_step(),
        Step("format", "reports/edu_format", choices=options("rp_edu_", FORMATS)),
        Step(
            "topic", "reports/edu_topic", choices=options("rp_topic_", TOPICS), parse=typed_topic, columns=1
        ),
        when_step(),
        notes_step(),
    ),
    "reports/edu_summary",
    build,
)
