"""The pay evaluation's score (models.pay): weights a locality sets in TOML, applied to a month's figures."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from models.pay import PayError, PayWeights, pay_score
from models.schedule import RuleSet


@dataclass(frozen=True)
class Month:
    records: int = 40
    late_records: int = 0
    met_on_time: int = 10
    met_late: int = 0
    missed: int = 0
    reviewed_correct: int = 0
    reviewed_errors: int = 0
    messages: int = 0
    messages_slow: int = 0


def test_everything_done_on_time_scores_full_marks() -> None:
    assert pay_score(Month(), PayWeights()) == 100 == PayWeights().full


def test_each_measure_takes_its_weight_times_how_fully_it_was_met() -> None:
    month = Month(records=20, late_records=5, met_on_time=6, met_late=2, missed=2, reviewed_correct=3,
                  reviewed_errors=1, messages=4, messages_slow=2)  # fmt: skip
    # on time 6/10 × 50 + records 20/40 × 20 + timely 15/20 × 10 + reviews 3/4 × 10 + messages 2/4 × 10
    assert pay_score(month, PayWeights()) == 30 + 10 + 7.5 + 7.5 + 5


def test_nothing_owed_or_filed_earns_nothing_for_those_measures() -> None:
    assert pay_score(Month(records=0, met_on_time=0), PayWeights()) == 20  # reviews and messages: full


def test_records_beyond_the_target_earn_no_more() -> None:
    assert pay_score(Month(records=400), PayWeights()) == pay_score(Month(records=40), PayWeights())


def test_a_localitys_pay_table_replaces_the_weights_it_names() -> None:
    weights = PayWeights.from_toml("[pay]\non_time = 70\nrecords = 0\nrecords_target = 25\n")
    assert (weights.on_time, weights.records, weights.records_target, weights.timely) == (70, 0, 25, 10)
    assert pay_score(Month(missed=10, met_on_time=10), weights) == 35 + 10 + 10 + 10


def test_a_rules_file_without_a_pay_table_keeps_the_default_weights() -> None:
    assert PayWeights.from_toml('[[rule]]\nobligation = "meeting"\nunit = "week"\n') == PayWeights()


def test_the_rules_parser_accepts_a_pay_table_beside_the_rules() -> None:
    rules = RuleSet.from_toml('[pay]\non_time = 60\n\n[[rule]]\nobligation = "meeting"\nunit = "week"\n')
    assert len(rules.rules) == 1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[pay]\non_tme = 60\n", "unknown [pay] key(s) on_tme"),
        ("[pay]\non_time = -1\n", "on_time must be a number, 0 or more"),
        ('[pay]\non_time = "60"\n', "on_time must be a number"),
        ("[pay]\nrecords_target = 0\n", "records_target must be a whole number"),
        ("pay = 3\n", "pay is a table"),
        ("[pay]\non_time = 0\nrecords = 0\ntimely = 0\nreviews = 0\nmessages = 0\n", "all 0"),
    ],
)
def test_a_bad_pay_table_is_refused_with_what_to_fix(text: str, says: str) -> None:
    with pytest.raises(PayError, match=re.escape(says)):
        PayWeights.from_toml(text)


def test_the_running_bot_takes_the_weights_from_the_localitys_rules_file(tmp_path) -> None:
    from bot.app import policy_from
    from bot.config import Settings

    rules = tmp_path / "rules.toml"
    rules.write_text('[pay]\non_time = 80\n\n[[rule]]\nobligation = "meeting"\nunit = "week"\ntimes = 2\n')
    policy = policy_from(Settings(rules_file=rules))
    assert policy.pay.on_time == 80 and policy.pay.records == 20
    assert policy_from(Settings()).pay == PayWeights()
