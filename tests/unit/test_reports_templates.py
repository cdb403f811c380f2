"""Every reporting template renders in both languages, escapes what users typed, and labels match."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handlers.render import DEFAULT_TEMPLATES, LOCALES, Renderer
from handlers.reports.saving import Saved
from models.people import Colour, Role, Status
from models.services.alerts.routing import Reached, Routing
from models.services.cards import DueView, HistoryPage, PersonCard, RecordView, TeamMember
from models.services.caseload import CaseLine, CaseloadPage, PersonLine
from models.services.casework.timeline import TimelineLine
from models.services.directory.delegation import DelegationView
from models.services.reporting.registration import Release

EVIL = '<script>&"x"'
AT = datetime(2026, 3, 4, 2, tzinfo=UTC)
PERSON = PersonLine(1, "P-1", "张三" + EVIL, Colour.orange, Status.community_detox, None, date(2025, 1, 6))


def _record(kind: str, **extra) -> RecordView:
    base = dict(
        id=7, kind=kind, subkind=None, result=None, score=None, occurred_at=AT, created_at=AT, late=True,
        voided=True, void_reason="corrected", corrects_id=3, author="测试员" + EVIL, on_behalf_of="同事",
        place=None, notes=EVIL, details={}, has_photo=False,
    )  # fmt: skip
    return RecordView(**{**base, **extra})


RECORDS = (
    _record("visit", subkind="home", result="signs_of_use"),
    _record("drug_test", result="positive", details={"substances": ["ketamine", "other"]}),
    _record("assessment", score=55, result="red"),
    _record("help", subkind="allowance"),
    _record("note"),
    _record("education"),
    _record("thought_report", subkind="written", voided=False, late=False, corrects_id=None),
    _record("counselling", subkind="individual", result="attention"),
    _record("registration", subkind="police"),
)
CARD = PersonCard(
    id=1, code="P-1", name="张三" + EVIL, colour=Colour.red, status=Status.community_rehab, area="网格",
    registered_on=None, agreement_signed_on=None, programme_start=date(2025, 1, 6),
    programme_end=date(2028, 1, 5), release_date=date(2026, 1, 1),
    team=(TeamMember("测试员", "responsible", "0000"), TeamMember("民警", "police", None)),
    due=(DueView("meeting", "overdue", 0, 1, date(2026, 3, 2)),
         DueView("drug_test", "done", 1, 1, date(2026, 3, 31))),
    last_visit=RECORDS[0], last_test=RECORDS[1], recent=RECORDS, may_see_sensitive=True, sensitive_open=True,
    id_number="990000********0005", phone="199", address="测试路" + EVIL,
)  # fmt: skip
DATA = {
    "person": "1", "kind": "elsewhere", "place": EVIL, "when": "2026-03-03", "state": "worrying",
    "living": "changed", "work": "seeking", "social": "contact", "notes": EVIL, "photo": "f",
    "sample": "hair", "method": "lab", "result": "positive", "substance": "mdma", "substance_more": "cocaine",
    "format": "group", "topic": "text:" + EVIL, "form": "written", "help": "other", "details_other": EVIL,
    "assessment": "comprehensive", "score": 55, "findings": EVIL, "colour": "red", "reason": EVIL,
    "text": EVIL, "mode": "remote", "focus": "craving", "outcome": "attention", "where": "office",
}  # fmt: skip
ROUTING = Routing((Reached(1, 11, "张三" + EVIL, Role.cadre, True),), (Role.police,))
VIEW = dict(
    data=DATA, person=PERSON, corrects=3, day=date(2026, 3, 3),
    record=Saved(9, late=True, on_behalf=True, alerted=ROUTING, proposed=True), alert=ROUTING,
    record_view=RECORDS[1],
    card=CARD, today=date(2026, 3, 4), page=HistoryPage(PERSON, RECORDS, 0, 2, 7),
    view=CaseloadPage((CaseLine(1, "P-1", "张三" + EVIL, Colour.red, Status.community_detox, 2, 1, "同事"),),
                      0, 2, 9, 1, EVIL, False),
    line=CaseLine(1, "P-1", "张三" + EVIL, Colour.red, Status.community_detox, 2, 1, None),
    code="P-1", at=AT, state="signs_of_use", social="contact", result="positive", substances=["ketamine"],
    kind="drug_test", corrected=True, current="blue", proposed="orange", outcome="confirmed",
    score=55, term=EVIL, people=[PERSON], count=2, start=date(2026, 3, 3), days=7, low=0, high=100,
    limit=100, length=120, colleague="同事" + EVIL, starts=date(2026, 3, 5), ends=date(2026, 3, 11),
    delegations=[DelegationView(1, "甲", "乙", date(2026, 3, 5), date(2026, 3, 11), True),
                 DelegationView(2, "丙", "甲", date(2026, 3, 5), date(2026, 3, 11), False)],
    who="测试员" + EVIL, end=date(2026, 3, 11), r=RECORDS[1], example="P-1", hidden=2,
    release=Release(date(2026, 2, 10), date(2026, 2, 24)), earliest=date(2026, 2, 3),
    status="released",
    timeline=[TimelineLine(date(2026, 3, 3), "case", "agreement", "done", term_months=24),
              TimelineLine(date(2026, 3, 2), "case", "isolation", "waiting"),
              TimelineLine(date(2026, 3, 1), "colour", "red", "done"),
              TimelineLine(date(2026, 2, 1), "pause", "pause", "done", until=date(2026, 2, 20))],
)  # fmt: skip


def _names() -> list[str]:
    found = []
    for folder in ("reports", "worker"):
        for path in sorted((DEFAULT_TEMPLATES / "zh_CN" / folder).glob("*.j2")):
            if not path.stem.startswith("_"):  # partials: rendered through the templates that include them
                found.append(f"{folder}/{path.stem}")
    return found


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", _names())
def test_every_template_renders_and_escapes_typed_text(renderer, locale, name):
    for done in (False, True):
        view = {**VIEW, "done": done, "assessment": "quantitative"}
        if name.startswith("reports/delegate_") or name == "reports/delegations":
            view["people"] = 3
        text = renderer.render(locale, name, **view)
        assert "<script>" not in text and "Undefined" not in text
        if name.endswith(("_summary", "card", "history", "caseload")):
            assert "&lt;script&gt;" in text, name
        if name.endswith("_summary") and done:  # as saving renders it: no `form` from the engine
            assert text.startswith("✅"), name


@pytest.mark.parametrize("name", _names())
def test_every_template_exists_in_english_too(name):
    assert (Path(DEFAULT_TEMPLATES) / "en" / f"{name}.j2").is_file()


def test_reporting_labels_are_the_same_keys_in_both_languages(renderer):
    chinese, english = (set(renderer._load_labels(locale)) for locale in LOCALES)
    assert chinese == english


def test_the_confirmation_says_when_saving_alerts(renderer):
    text = renderer.render("zh_CN", "reports/test_summary", **{**VIEW, "done": False})
    assert "保存后将立即通知" in text
