"""Button labels and button pop-ups are plain text: what a user typed comes out as typed there,
while message bodies stay HTML-escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from handlers.events import AnswerCallback, Incoming, InKind
from handlers.render import LOCALES, Renderer
from handlers.worker import caseload_buttons
from models.access import Principal
from models.people import Colour, Status
from models.policy import Policy
from models.services.caseload import CaseLine, CaseloadPage
from models.services.identity import Identity

NAME = "O'Neil <b>&amp; Co"  # a quote, a tag and an ampersand, as a user might type them
NOW = datetime(2026, 3, 4, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(ZoneInfo("Asia/Shanghai"))


def _ctx(renderer: Renderer, locale: str) -> Ctx:
    incoming = Incoming(
        bot_id=1, update_id=1, kind=InKind.callback, user_id=5, chat_id=5, callback_id="cb", callback_data="x"
    )
    return Ctx(
        now=NOW,
        renderer=renderer,
        _session=None,
        policy=Policy(),
        incoming=incoming,
        identity=Identity(Principal.grid_worker, 5),
        locale=locale,
        dialogs=Engine(),
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_a_name_in_a_button_label_comes_out_verbatim(renderer: Renderer, locale: str) -> None:
    line = CaseLine(1, "P-1", NAME, Colour.orange, Status.community_detox, overdue=2)
    page = CaseloadPage((line,), page=0, pages=1, total=1, overdue=1, search=None, jurisdiction=False)

    (button,) = caseload_buttons(_ctx(renderer, locale), page)[0]

    assert NAME in button.text and "&#39;" not in button.text and "&lt;" not in button.text


@pytest.mark.parametrize("locale", LOCALES)
def test_a_name_in_a_pop_up_comes_out_verbatim(renderer: Renderer, locale: str) -> None:
    ctx = _ctx(renderer, locale)

    ctx.answer("family/ack_already", alert=True, by_name=NAME, by_role="cadre")

    (answer,) = ctx.actions
    assert isinstance(answer, AnswerCallback) and answer.alert
    assert answer.text is not None and NAME in answer.text and "&#39;" not in answer.text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_same_template_in_a_message_body_stays_escaped(renderer: Renderer, locale: str) -> None:
    text = _ctx(renderer, locale).text("family/ack_already", by_name=NAME, by_role="cadre")

    assert "O&#39;Neil &lt;b&gt;&amp;amp; Co" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_day_choices_render_plain_with_the_locale_formatting(renderer: Renderer, locale: str) -> None:
    label = renderer.render_plain(locale, "reports/day_choice", day=date(2026, 3, 2))

    assert label and "&" not in label and ("3月2日" in label if locale == "zh_CN" else "2 Mar" in label)
