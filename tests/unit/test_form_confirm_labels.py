"""A form's confirm button says what confirming does: the family channel's forms send a message to
someone else (发送 / Send); every other form saves a record (保存 / Save)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from handlers.family.forms import FORMS as FAMILY_FORMS
from handlers.reminders.pause import PAUSE
from handlers.render import Renderer
from handlers.reports.assessment import ASSESSMENT
from handlers.reports.corrections import VOID
from handlers.reports.delegate import DELEGATE
from handlers.reports.drug_test import DRUG_TEST
from handlers.reports.education import EDUCATION
from handlers.reports.help import HELP_GIVEN
from handlers.reports.note import NOTE
from handlers.reports.thought_report import THOUGHT_REPORT
from handlers.reports.visit import VISIT

SAVING = (VISIT, DRUG_TEST, EDUCATION, THOUGHT_REPORT, ASSESSMENT, HELP_GIVEN, NOTE, VOID, DELEGATE, PAUSE)


def test_the_urgent_alert_the_tip_and_the_reply_to_a_family_confirm_with_send() -> None:
    assert {d.name: d.confirm for d in FAMILY_FORMS} == {
        "family_urgent": "send",
        "family_tip": "send",
        "family_reply": "send",
    }


@pytest.mark.parametrize("dialog", SAVING, ids=lambda d: d.name)
def test_a_form_that_files_a_record_confirms_with_save(dialog) -> None:
    assert dialog.confirm == "save"


@pytest.mark.parametrize(("locale", "word", "not_word"), [("zh_CN", "发送", "保存"), ("en", "Send", "Save")])
def test_the_send_label_says_send(locale: str, word: str, not_word: str) -> None:
    label = Renderer(ZoneInfo("Asia/Shanghai")).label(locale, "send")

    assert word in label and not_word not in label
