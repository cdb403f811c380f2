"""Every reminders template renders in both languages, escapes what people typed, names no one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handlers.reminders.views import PAGE_LINES, render_due, render_page
from handlers.render import DEFAULT_TEMPLATES, LOCALES, Renderer
from models.people import Colour
from models.services.conversations import DraftLine
from models.services.pauses import PauseView
from models.services.reminders.due_lists import DueLine, DueList, with_names
from models.services.reminders.notices import CampaignView, EndingView
from models.services.reminders.sending import OverdueItem
from models.services.reminders.why import Why

EVIL = '<script>&"x"'
DAY = date(2026, 3, 4)
AT = datetime(2026, 3, 4, 2, 30, tzinfo=UTC)


def _line(n: int, colour: Colour, obligation: str, start: date, end: date, due: date, bucket: str) -> DueLine:
    return DueLine(n, f"P-{n}", colour, obligation, start, end, due, 2, 1, 2, bucket)


LINES = (
    _line(1, Colour.orange, "meeting", date(2026, 2, 23), date(2026, 3, 1), date(2026, 3, 2), "overdue"),
    _line(2, Colour.blue, "registration", date(2026, 2, 18), date(2026, 3, 4), date(2026, 3, 4), "today"),
    _line(3, Colour.white, "drug_test", date(2026, 3, 2), date(2026, 3, 8), date(2026, 3, 9), "week"),
    _line(4, Colour.red, "education", date(2026, 2, 1), date(2026, 2, 1), date(2026, 2, 1), "done"),
)
DUE = DueList(DAY, date(2026, 3, 8), LINES, later=3)
WHY = Why(
    code="P-1",
    obligation="meeting",
    colour=Colour.orange,
    colour_since=date(2026, 3, 3),
    unit="week",
    every=1,
    times=2,
    programme_year=2,
    period_start=date(2026, 3, 2),
    period_end=date(2026, 3, 8),
    due_date=date(2026, 3, 9),
    done=1,
    state="due",
    days_overdue=0,
    current=True,
    released_on=None,
)
REGISTRATION = Why(
    code="P-2",
    obligation="registration",
    colour=Colour.red,
    colour_since=None,
    unit=None,
    every=1,
    times=1,
    programme_year=None,
    period_start=date(2026, 2, 18),
    period_end=date(2026, 3, 4),
    due_date=date(2026, 3, 4),
    done=0,
    state="overdue",
    days_overdue=3,
    current=False,
    released_on=date(2026, 2, 18),
)
PAUSES = [
    PauseView(1, 1, "P-1", date(2026, 3, 1), date(2026, 3, 20), "hospital"),
    PauseView(2, 1, "P-1", date(2026, 4, 1), date(2026, 4, 20), EVIL),
]
VIEW = {
    "due": DUE,
    "cap": PAGE_LINES,
    "line": LINES[0],
    "worker": "测试员" + EVIL,
    "why": WHY,
    "code": "P-1",
    "pauses": PAUSES,
    "today": DAY,
    "notice": CampaignView("county", "全县禁毒宣传日" + EVIL, "入户走访" + EVIL, date(2026, 9, 15), 3),
    "ending": EndingView("P-1", "community_detox", date(2026, 4, 3), 30),
    "current": "08:30",
    "is_default": True,
    "quiet_from": "21:00",
    "quiet_until": "08:00",
    "time": "09:00",
    "pause": PAUSES[0],
    "since": DAY,
    "until": date(2026, 3, 20),
    "data": {
        "person": "1",
        "reason": "other",
        "reason_text": EVIL,
        "since": "2026-03-04",
        "until": "2026-03-20",
    },
    "done": False,
    "day": DAY,
    "items": [OverdueItem(LINES[0], "测试员" + EVIL), OverdueItem(LINES[2], None)],
    "after": 3,
    "drafts": [DraftLine(1, 1, "visit", 123456, "notes", "P-1" + EVIL, AT, AT)],
}


def _names(locale: str) -> list[str]:
    folder = Path(DEFAULT_TEMPLATES) / locale / "reminders"
    return sorted(p.stem for p in folder.glob("*.j2") if not p.stem.startswith("_"))


@pytest.mark.parametrize("locale", LOCALES)
def test_both_languages_have_the_same_templates(locale: str) -> None:
    assert _names(locale) == _names("zh_CN")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", _names("zh_CN"))
def test_every_template_renders_and_escapes(locale: str, name: str) -> None:
    text = Renderer(ZoneInfo("Asia/Shanghai")).render(locale, f"reminders/{name}", **VIEW)
    assert text.strip()
    assert "<script>" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_why_answer_says_rule_colour_and_period(locale: str) -> None:
    renderer = Renderer(ZoneInfo("Asia/Shanghai"))
    text = renderer.render(locale, "reminders/why", why=WHY)
    expected = {
        "zh_CN": ("橙色", "3月3日", "每周 2 次见面", "本周", "1/2"),
        "en": ("orange since 3 March", "2 × meeting every week", "This week's", "1 of 2"),
    }[locale]
    for part in expected:
        assert part in text, (part, text)
    assert "15" in renderer.render(locale, "reminders/why", why=REGISTRATION)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_campaign_from_configuration_shows_its_own_name_and_task(locale: str) -> None:
    text = Renderer(ZoneInfo("Asia/Shanghai")).render(locale, "reminders/campaign", **VIEW)
    assert "全县禁毒宣传日&lt;script&gt;" in text and "入户走访" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_a_due_list_has_one_button_per_item_that_explains_it(locale: str) -> None:
    message = render_due(Renderer(ZoneInfo("Asia/Shanghai")), locale, "reminders/morning", DUE)
    assert next(data for row in message.buttons for _, data in row) == "why:1:meeting:20260223"
    assert len(message.buttons) == len(LINES) and all(len(row) == 1 for row in message.buttons)
    assert all(len(data.encode()) <= 64 for row in message.buttons for _, data in row)
    assert "P-3" in message.text and "<s>P-4" in message.text


@pytest.mark.parametrize("locale", LOCALES)
def test_a_named_item_shows_the_masked_name_with_the_code_in_text_and_button(locale: str) -> None:
    named = with_names(DUE, {1: "杨示超" + EVIL}, 0, 1)
    message = render_due(Renderer(ZoneInfo("Asia/Shanghai")), locale, "reminders/morning", named)
    assert "杨**" in message.text and "P-1" in message.text and "示超" not in message.text
    label = message.buttons[0][0][0]
    assert label.startswith("🟠 杨*") and "P-1" in label and "示超" not in label


def _long(n: int) -> DueList:
    lines = tuple(
        _line(
            i,
            Colour.blue,
            ("meeting", "drug_test")[i % 2],
            date(2026, 2, 2),
            date(2026, 2, 8),
            date(2026, 2, 9),
            "overdue",
        )
        for i in range(n)
    )
    return DueList(DAY, date(2026, 3, 8), lines)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_page_of_a_long_list_carries_more_than_twelve_buttons(locale: str) -> None:
    renderer, due = Renderer(ZoneInfo("Asia/Shanghai")), _long(28)  # the reported morning: 28 overdue lines
    pages = [render_page(renderer, locale, "reminders/morning", due, page) for page in range(4)]
    assert [sum(len(row) for row in p.buttons) for p in pages] == [9, 10, 10, 5]
    whys = [data for p in pages for row in p.buttons for _, data in row if data.startswith("why:")]
    assert len(whys) == 28 == len(set(whys))  # every item on exactly one page
    assert max(sum(len(row) for row in p.buttons) for p in pages) <= 12


@pytest.mark.parametrize("locale", LOCALES)
def test_overdue_work_is_counted_by_kind(locale: str) -> None:
    text = render_page(
        Renderer(ZoneInfo("Asia/Shanghai")), locale, "reminders/today", _long(5), drafts=[]
    ).text
    meeting, test = (
        Renderer(ZoneInfo("Asia/Shanghai")).label(locale, f"rm_obl_{k}") for k in ("meeting", "drug_test")
    )
    assert f"{test} 2" in text and f"{meeting} 3" in text
