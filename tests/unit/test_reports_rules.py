"""Small pure rules of reporting: what alerts, how an ID number is masked, what button data holds."""

from __future__ import annotations

import pytest

from handlers.worker import page_data
from models.callback_data import parse_id
from models.services.cards import mask_id_number
from models.services.reporting.records import raises_alert


@pytest.mark.parametrize(
    ("kind", "result", "details", "alerts"),
    [
        ("drug_test", "positive", {}, True),
        ("drug_test", "refused", {}, True),
        ("drug_test", "absent", {}, True),
        ("drug_test", "negative", {}, False),
        ("drug_test", "invalid", {}, False),
        ("visit", "signs_of_use", {"social": "none"}, True),
        ("visit", "stable", {"social": "contact"}, True),
        ("visit", "worrying", {"social": "unknown"}, False),
        ("assessment", None, {}, False),
    ],
)
def test_which_records_alert_staff_at_once(kind, result, details, alerts):
    assert raises_alert(kind, result, details) is alerts


def test_an_id_number_shows_only_its_first_six_and_last_four_characters():
    assert mask_id_number("42010219900101123X") == "420102********123X"
    assert mask_id_number("12345") == "***45"
    assert mask_id_number(None) is None


@pytest.mark.parametrize("data", ["", "-1", "1.5", "1e3", "١٢", "9" * 19, "1;2", "²"])
def test_button_ids_accept_plain_digits_only(data):
    assert parse_id(data) is None


def test_paging_data_is_cut_to_telegrams_64_bytes():
    data = page_data(12, "欧阳" * 30)
    assert len(data.encode()) <= 64 and data.startswith("my:12:欧阳")
    assert page_data(0, None) == "my:0:"
