"""The drafts' texts render in both languages, name the form and person, and escape what they show."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.render import LOCALES, Renderer
from models.services.conversations import DraftLine

EVIL = '<script>&"x"'
AT = datetime(2026, 3, 4, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai
DRAFT = DraftLine(1, 1, "visit", 123456, "notes", "P-1" + EVIL, AT, AT)
VIEW = {"dialog": "visit", "code": "P-1" + EVIL, "today": True, "draft": DRAFT, "closes_at": AT, "count": 2}
NAMES = ("draft_kept", "draft_continued", "draft_expiring", "draft_button", "expired", "drafts_left")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", NAMES)
def test_every_drafts_text_renders_and_escapes(locale: str, name: str) -> None:
    text = Renderer(ZoneInfo("Asia/Shanghai")).render(locale, f"dialog/{name}", **VIEW)
    assert "<script>" not in text
    if name not in ("expired", "drafts_left"):
        assert "P-1&lt;script&gt;&amp;" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_expiry_warning_says_when_in_local_time(locale: str) -> None:
    text = Renderer(ZoneInfo("Asia/Shanghai")).render(locale, "dialog/draft_expiring", **VIEW)
    assert "10:30" in text


def test_a_form_without_a_label_of_its_own_is_named_too() -> None:
    text = Renderer(ZoneInfo("Asia/Shanghai")).render(
        "zh_CN", "dialog/draft_kept", **{**VIEW, "dialog": "review"}
    )
    assert "审核意见" in text
