"""The 状态变更 texts render in both languages for every kind of change, and escape typed text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.render import DEFAULT_TEMPLATES, LOCALES, Renderer
from models.casework import CaseChangeKind
from models.people import Role
from models.services.alerts.routing import Reached, Routing
from models.services.casework.life import ChangeView

EVIL = "<script>&'\""
NAMES = sorted(
    p.stem for p in (DEFAULT_TEMPLATES / "zh_CN" / "case").glob("*.j2") if not p.stem.startswith("_")
)
ROUTINGS = (
    Routing((Reached(1, 11, "张三" + EVIL, Role.cadre, True),), (Role.police,)),
    Routing((), (Role.grid_worker,)),
)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(ZoneInfo("Asia/Shanghai"))


def _view(kind: CaseChangeKind, asked: Routing, done: bool) -> dict[str, object]:
    change = ChangeView(1, 2, "P-1", kind, date(2026, 3, 4), EVIL, date(2027, 3, 1), "第二网格" + EVIL, True)
    data = {"person": "2", "kind": str(kind), "when": "2026-03-04", "reason": EVIL, "term": "24"}
    return dict(
        c=change, data=data, done=done, code="P-1", asked=asked, grid="第二网格" + EVIL, outcome="confirmed",
        when=date(2026, 3, 4), release=date(2027, 3, 1), minutes=30,
        at=datetime(2026, 3, 4, 2, 0, tzinfo=UTC),
    )  # fmt: skip


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", NAMES)
def test_every_case_text_renders_for_every_kind_and_escapes(renderer, locale, name):
    for kind in CaseChangeKind:
        for asked in ROUTINGS:
            for done in (False, True):
                text = renderer.render(locale, f"case/{name}", **_view(kind, asked, done))
                assert "<script>" not in text and "Undefined" not in text


@pytest.mark.parametrize("name", NAMES)
def test_every_case_text_exists_in_english_too(name):
    assert (DEFAULT_TEMPLATES / "en" / "case" / f"{name}.j2").exists()


def test_the_proposer_is_told_honestly_when_nobody_is_linked(renderer):
    text = renderer.render("zh_CN", "case/proposed", **_view(CaseChangeKind.transfer, ROUTINGS[1], True))
    assert "没有已关联机器人的网格员" in text
