"""Group sessions' pure parts: the selection carried in button data, and the texts in both languages."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from handlers.groups.picker import GroupPickV1
from handlers.render import LOCALES, Renderer
from models.people import Colour, Status
from models.services.caseload import PersonLine
from models.services.reporting.group_sessions import (
    MAX_PEOPLE,
    GroupFiled,
    fingerprint,
    pack_selection,
    unpack_selection,
)

EVIL = '<script>&"x"'
RENDER = Renderer(ZoneInfo("Asia/Shanghai"))
PEOPLE = [PersonLine(n, f"P-{n}", "杨" + EVIL, Colour.blue, Status.community_detox, None) for n in range(3)]


def test_a_selection_comes_back_as_it_was_packed() -> None:
    chosen = [n % 3 == 0 for n in range(40)]
    assert unpack_selection(pack_selection(chosen), 40) == chosen
    assert unpack_selection(pack_selection([False] * 5), 5) == [False] * 5


def test_a_selection_naming_someone_beyond_the_list_or_junk_is_refused() -> None:
    assert unpack_selection(pack_selection([False, False, True]), 2) is None
    assert unpack_selection("xyz", 10) is None and unpack_selection("", 10) is None


def test_the_largest_selection_fits_in_telegrams_64_bytes() -> None:
    press = GroupPickV1("t179", fingerprint(range(MAX_PEOPLE)), 25, pack_selection([True] * MAX_PEOPLE))
    assert len(press.pack().encode()) <= 64
    assert GroupPickV1.parse(press.pack().removeprefix("gp:")) == press


@pytest.mark.parametrize(
    "junk", ["", "go", "t1:zzzzzz:0:0", "t1:abcdef:0:", "q:abcdef:0:1", "go:abcdef:0:1:x"]
)
def test_junk_payloads_parse_to_nothing(junk: str) -> None:
    assert GroupPickV1.parse(junk) is None


def test_another_list_has_another_fingerprint() -> None:
    assert fingerprint([1, 2, 3]) != fingerprint([1, 2, 4]) and fingerprint([1, 2]) == fingerprint([1, 2])


@pytest.mark.parametrize("locale", LOCALES)
def test_the_summary_names_people_masked_with_their_code_and_escapes_what_was_typed(locale: str) -> None:
    data = {"kind": "legal", "topic": "text:" + EVIL, "notes": EVIL, "people": ["0", "1", "2"]}
    filed = GroupFiled((1, 2, 3), 3, True, (0, 1, 2))
    for done, extra in ((False, {}), (True, {"filed": filed})):
        text = RENDER.render(
            locale,
            "groups/summary",
            data=data,
            done=done,
            people=PEOPLE,
            day=date(2026, 3, 4),
            campaign=None,
            **extra,
        )
        assert "<script>" not in text and "&lt;script&gt;" in text
        assert "杨" in text and "P-1" in text and EVIL not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_a_person_button_is_plain_text_with_the_masked_name(locale: str) -> None:
    label = RENDER.render_plain(locale, "groups/person_button", line=PEOPLE[0], ticked=True)
    assert label.startswith("☑") and "P-0" in label and "script" not in label


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("name", "view"),
    [
        ("pick", {"count": 2, "total": 20, "page": 1, "pages": 3}),
        ("kind", {"people": PEOPLE}),
        ("topic", {"people": PEOPLE}),
        ("when", {"people": PEOPLE}),
        ("notes", {"people": PEOPLE}),
        ("empty", {}),
        ("none_chosen", {}),
        ("replaced", {}),
        ("too_late", {}),
        ("invalid_day", {"days": 7}),
        ("campaign_button", {"campaign": EVIL}),
    ],
)
def test_every_group_text_renders(locale: str, name: str, view: dict) -> None:
    assert RENDER.render(locale, f"groups/{name}", **view)
