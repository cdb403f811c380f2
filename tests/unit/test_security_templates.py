"""The security texts (a worker leaving) exist in both languages, render, and escape names."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from handlers.render import DEFAULT_TEMPLATES, LOCALES, Renderer
from models.people import Role
from models.services.directory.workforce import NewWorker

HOSTILE = '<b>"x" & y</b>'
VIEWS = {
    "worker_left": {"worker": NewWorker("W-1", HOSTILE, Role.grid_worker, "0715-1", HOSTILE)},
    "caseload_received": {"persons": 3, "previous": HOSTILE},
}


def test_every_security_template_has_a_view_and_exists_in_every_language():
    for locale in LOCALES:
        names = {p.stem for p in (DEFAULT_TEMPLATES / locale / "security").glob("*.j2")}
        assert names == set(VIEWS)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", sorted(VIEWS))
def test_security_texts_render_and_escape_what_they_show(locale, name):
    text = Renderer(ZoneInfo("Asia/Shanghai")).render(locale, f"security/{name}", **VIEWS[name])
    assert "&lt;b&gt;&#34;x&#34; &amp; y&lt;/b&gt;" in text and HOSTILE not in text


def test_a_family_is_told_the_new_workers_phone_and_hours_only_when_known():
    bare = NewWorker("W-1", "王演明", Role.grid_worker, None, None)
    text = Renderer(ZoneInfo("Asia/Shanghai")).render("zh_CN", "security/worker_left", worker=bare)
    assert "王演明" in text and "工作电话" not in text and "办公时间" not in text
