"""Every family-channel text exists in both languages, renders, and escapes what users typed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handlers.family.forms import ReplyAnswer
from handlers.render import DEFAULT_TEMPLATES, LOCALES, Renderer
from models.people import Role
from models.services.alerts.routing import Reached, Routing
from models.services.family.alerts import Responder
from models.services.family.channel import ContactCard
from models.services.family.threads import InboxLine, Thread, ThreadMessage

HOSTILE = '<b>"x" & y</b>'
AT = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
CARD = ContactCard(HOSTILE, "grid_worker", "0715-1", HOSTILE, HOSTILE, HOSTILE, HOSTILE)
MESSAGE = ThreadMessage(1, True, "text", HOSTILE, AT, None)
THREAD = Thread(1, "母亲", True, 1, (MESSAGE, ThreadMessage(2, False, "text", HOSTILE, AT, HOSTILE)), 1)
LINE = InboxLine(1, "P-1", HOSTILE, "母亲", 2, AT, 1, HOSTILE, "text")
DATA = {
    "person_name": HOSTILE,
    "relation": "母亲",
    "excerpt": HOSTILE,
    "text": HOSTILE,
    "description": HOSTILE,
}
VIEW = {
    "card": CARD,
    "cards": (CARD, ContactCard(HOSTILE, "cadre", None, None, None, None)),
    "threads": [THREAD],
    "lines": [LINE],
    "data": DATA,
    "answer": ReplyAnswer(HOSTILE, None),
    "done": False,
    "person_name": HOSTILE,
    "relation": "母亲",
    "text": HOSTILE,
    "description": HOSTILE,
    "kind": "photo",
    "at": AT,
    "later": AT,
    "status": "relayed",
    "limit": 10,
    "alert_id": 7,
    "tip_id": 8,
    "area_name": HOSTILE,
    "has_photo": True,
    "reached": 3,
    "told": (Responder(1, 11, HOSTILE, "cadre"),),
    "unreached": (Role.police,),
    "alert": Routing((Reached(1, 11, HOSTILE, Role.grid_worker, True),), (Role.police,)),
    "joined_open": False,
    "minutes": 30,
    "by_name": HOSTILE,
    "tipster_told": True,
    "by_role": "police",
    "worker_name": HOSTILE,
    "worker_role": "cadre",
    "code": "abc",
    "link": "https://t.me/bot?start=abc",
    "expires_at": AT,
}


def _names(locale: str) -> set[str]:
    folder = Path(DEFAULT_TEMPLATES) / locale / "family"
    return {p.stem for p in folder.glob("*.j2") if not p.stem.startswith("_")}


def test_both_languages_have_the_same_family_templates():
    assert _names("zh_CN") == _names("en") and len(_names("en")) > 30


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", sorted(_names("zh_CN")))
def test_every_family_template_renders_and_escapes_user_text(locale, name):
    text = Renderer(ZoneInfo("Asia/Shanghai")).render(locale, f"family/{name}", **VIEW)
    assert text and HOSTILE not in text and '"x" & y' not in text  # never raw
    if "&#34;x&#34;" in text:  # shown: escaped whole
        assert "&lt;b&gt;&#34;x&#34; &amp; y&lt;/b&gt;" in text


def test_english_texts_name_the_relation_in_english():
    text = Renderer(ZoneInfo("Asia/Shanghai")).render("en", "family/relay", **VIEW)
    assert "mother" in text and "母亲" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_family_labels_exist_in_both_languages(locale):
    renderer = Renderer(ZoneInfo("Asia/Shanghai"))
    for key in (
        "cmd_inbox",
        "fam_urgent",
        "fam_reply",
        "fam_ack",
        "fam_called",
        "fam_view_photo",
        "fam_stop_confirm",
    ):
        assert renderer.label(locale, key)
    assert [renderer.label(locale, f"fam_relation_{i}") for i in range(6)]
    for dialog in ("family_urgent", "family_tip", "family_reply"):
        assert renderer.label(locale, f"dialog_{dialog}")


PUSHED_TO_STAFF = ["relay", "urgent_alert", "urgent_more", "urgent_escalated", "ack_others", "left"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", PUSHED_TO_STAFF)
def test_pushed_staff_messages_mask_the_person_s_name_for_lock_screens(locale, name):
    renderer = Renderer(ZoneInfo("Asia/Shanghai"))
    text = renderer.render(locale, f"family/{name}", **{**VIEW, "person_name": "张三丰"})
    assert "张**" in text and "张三丰" not in text
