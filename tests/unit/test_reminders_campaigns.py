"""Campaign days: when their reminders go out, and a locality's campaign file."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from models.policy import BUILT_IN_CAMPAIGNS, CampaignDay, CampaignError, Policy, campaigns_from_toml
from models.services.campaigns import notices_due


def _due(policy: Policy, day: date) -> list[tuple[str, int]]:
    return [(n.campaign.key, n.days_before) for n in notices_due(policy, day)]


def test_the_built_in_campaign_days_are_6_3_6_26_and_12_4() -> None:
    assert [(c.key, c.month, c.day) for c in BUILT_IN_CAMPAIGNS] == [
        ("humen", 6, 3),
        ("june26", 6, 26),
        ("dec4", 12, 4),
    ]


def test_reminders_go_out_seven_days_and_one_day_ahead_and_on_the_day() -> None:
    policy = Policy()
    sent = {day: _due(policy, day) for day in (date(2026, 5, 27) + timedelta(days=n) for n in range(10))}
    assert sent[date(2026, 5, 27)] == [("humen", 7)]
    assert sent[date(2026, 6, 2)] == [("humen", 1)]
    assert sent[date(2026, 6, 3)] == [("humen", 0)]
    assert sent[date(2026, 6, 4)] == []


def test_a_lead_day_on_a_holiday_moves_to_the_working_day_before() -> None:
    policy = Policy()
    assert not policy.calendar.is_working_day(date(2026, 6, 19))  # Dragon Boat Festival
    assert _due(policy, date(2026, 6, 18)) == [("june26", 7)]


def test_a_missed_reminder_is_sent_late_but_only_until_the_next_one_is_due() -> None:
    policy = Policy()
    assert _due(policy, date(2026, 6, 22)) == [("june26", 7)]
    assert _due(policy, date(2026, 6, 25)) == [("june26", 1)]


def test_the_days_own_reminder_goes_out_on_a_weekend_too() -> None:
    policy = Policy()
    assert date(2027, 6, 26).weekday() == 5
    assert _due(policy, date(2027, 6, 26)) == [("june26", 0)]
    assert _due(policy, date(2027, 6, 25)) == [("june26", 1)]


def test_a_campaign_early_in_january_is_announced_in_december() -> None:
    policy = Policy(campaigns=(CampaignDay("newyear", 1, 5, lead_days=(7,), name="元旦后宣传"),))
    assert _due(policy, date(2026, 12, 29)) == [("newyear", 7)]


def test_a_localitys_file_adds_days_and_can_replace_a_built_in_one() -> None:
    campaigns = campaigns_from_toml(
        """
        [[campaign]]
        key = "county-day"
        name = "全县禁毒宣传日"
        date = "09-15"
        lead_days = [3]
        audience = ["grid_worker", "cadre"]
        task = "入户走访，发放宣传材料"
        area = "EX-CTY"

        [[campaign]]
        key = "dec4"
        name = "宪法宣传周"
        date = "2026-12-01"
        """
    )
    by_key = {c.key: c for c in campaigns}
    assert set(by_key) == {"humen", "june26", "dec4", "county-day"}
    assert by_key["county-day"].lead_days == (3,) and by_key["county-day"].area == "EX-CTY"
    assert by_key["dec4"].on(2026) == date(2026, 12, 1) and by_key["dec4"].on(2027) is None


@pytest.mark.parametrize(
    "text",
    [
        '[[campaign]]\nkey = "x"\nname = "n"\ndate = "13-01"',
        '[[campaign]]\nkey = "x"\nname = "n"\ndate = "09-15"\nlead_days = [0]',
        '[[campaign]]\nkey = "x"\nname = "n"\ndate = "09-15"\naudience = ["family"]',
        '[[campaign]]\nkey = "x"\ndate = "09-15"',
        '[[campaign]]\nkey = "x"\nname = "n"\ndate = "09-15"\nwhen = "now"',
        '[campaign]\nkey = "x"',
        "campaigns = 1",
    ],
)
def test_a_campaign_file_with_a_mistake_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(CampaignError):
        campaigns_from_toml(text)
