"""The usage texts of /report, /export and /history: every keyword they show is one the command
takes, every code is the caller's real one, and names in them are escaped."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from handlers.render import DEFAULT_TEMPLATES, LOCALES, Renderer
from handlers.supervisor.reports import KINDS
from models.areas import AreaLevel
from models.services.digest.scope import AreaRef

AREA = AreaRef(3, "X-COM", "<b>社区</b> & 'one'", AreaLevel.community, "/X-COM/")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("command", ["report", "export"])
def test_every_period_word_a_usage_text_gives_is_taken_by_the_command(renderer, locale, command):
    text = renderer.render(locale, f"supervisor/{command}_usage", area=AREA)

    words = re.findall(rf"/{command} (\w+)", text)

    assert words and all(w.lower() in KINDS for w in words), words
    if locale == "zh_CN":
        assert {"周报", "月报"} <= set(words)  # Chinese keywords in the Chinese text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_report_usage_example_code_is_the_callers_area_and_names_are_escaped(renderer, locale):
    text = renderer.render(locale, "supervisor/report_usage", area=AREA)

    assert "X-COM" in text and "T-COM" not in text
    assert "&lt;b&gt;社区&lt;/b&gt; &amp; &#39;one&#39;" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_history_usage_example_is_a_real_code_or_none_at_all(renderer, locale):
    offered = renderer.render(locale, "reports/history_usage", example="Q-07", hidden=3)
    empty = renderer.render(locale, "reports/history_usage", example=None, hidden=0)

    assert "/history Q-07" in offered and "3" in offered
    assert "P-001" not in offered + empty and "Q-07" not in empty


def test_every_report_or_export_command_a_template_suggests_takes_its_word():
    suggested = {
        (path.relative_to(DEFAULT_TEMPLATES).as_posix(), word)
        for path in DEFAULT_TEMPLATES.rglob("*.j2")
        for word in re.findall(r"/(?:report|export) (\w+)", path.read_text(encoding="utf-8"))
    }

    assert suggested and [(name, w) for name, w in suggested if w.lower() not in KINDS] == []
    assert ("zh_CN/supervisor/workers.j2", "月报") in suggested  # the Chinese text gives the Chinese word
