"""Every figure of the digest, on the known city of tests/integration/digest_city.py.

The reasoning behind each expected number is in the comments; the city's docstring has the calendar.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models.people import Colour, Person, Status
from models.policy import CampaignDay
from models.services.digest.scope import AreaRef
from models.services.digest.summary import (
    Bar,
    Digest,
    Period,
    PeriodKind,
    Tally,
    build_digest,
    overdue_list,
    share,
)
from models.services.sql import AGGREGATE_MEMORY_MB
from tests.integration.digest_city import DAY, NOW, TEST_POLICY, build_city


def _ref(area) -> AreaRef:
    return AreaRef(area.id, area.code, area.name, area.level, area.path)


@pytest.fixture
def city(db, keys):
    with db.unit_of_work() as s:
        return build_city(s, keys)


def _digest(db, area, *, policy=TEST_POLICY, kind=PeriodKind.day) -> Digest:
    return db.call(build_digest, _ref(area), Period.of(kind, DAY), policy=policy, now=NOW)


def test_people_under_management_are_counted_by_colour(db, city):
    d = _digest(db, city.areas["COM"])
    # TP01 TP04 TP05 TP08 blue, TP02 TP09 orange, TP03 white, TP06 red in isolation; TP07 released.
    assert dict(d.people.by_colour) == {Colour.red: 1, Colour.orange: 2, Colour.white: 1, Colour.blue: 4}
    assert d.people.total == 8 and d.people.in_isolation == 1


def test_people_in_isolation_are_those_whose_status_says_so(db, city):
    with db.unit_of_work() as s:  # TP06 leaves isolation; TP08, in the same area, is in rehab
        s.get(Person, city.persons["TP06"].id).status = Status.community_detox
    d = _digest(db, city.areas["COM"])
    assert d.people.total == 8 and d.people.in_isolation == 0


def test_meetings_and_tests_due_done_and_overdue_come_from_the_obligation_rows(db, city):
    d = _digest(db, city.areas["COM"])
    # meetings: TP01 this week done; TP02 TP03 TP05 last week overdue and this week due;
    # TP04 (last week done, a phone call this week) TP08 TP09 this week due.
    assert d.meetings == Tally(total=10, done=1, due=6, overdue=3)
    assert (d.meetings.done_rate, d.meetings.overdue_rate) == (10, 30)
    # tests: TP01 TP04 done in March; TP02 TP03 TP05 February overdue, March due (a refusal is no
    # test); TP08, TP09 (did not come) March due.
    assert d.tests == Tally(total=10, done=2, due=5, overdue=3)
    # education and thought reports and TP08's registration: see the city's records.
    assert d.others == Tally(total=17, done=2, due=10, overdue=5)


def test_the_chart_counts_what_is_due_by_sunday_per_child_area(db, city):
    d = _digest(db, city.areas["COM"])
    # weekly meetings of both weeks, February's items and Q4's thought reports; not March's or Q1's.
    assert d.chart == Tally(total=18, done=1, due=6, overdue=11)
    g1, g2 = city.areas["G1"], city.areas["G2"]
    assert not d.bars_are_workers
    assert d.bars == (
        Bar("area", g1.id, "T-G1", "第一网格", total=10, done=1, overdue=6),
        Bar("area", g2.id, "T-G2", "第二网格", total=8, done=0, overdue=5),
    )


def test_at_the_lowest_level_the_chart_is_per_worker(db, city):
    d = _digest(db, city.areas["G1"])
    wa = city.workers["WA"]
    assert d.bars_are_workers
    assert d.bars == (
        Bar("worker", wa.id, "WA", wa.name, total=5, done=1, overdue=2),
        Bar("unassigned", None, "-", "", total=5, done=0, overdue=4),
    )
    assert d.overdue_workers == ((wa.id, "WA", 1),)  # TP02; TP05, overdue too, has no worker


def test_the_longest_overdue_are_named_by_code_and_the_rest_counted(db, city):
    d = _digest(db, city.areas["COM"])
    assert d.people_overdue == 4  # TP02 (4 days), TP03 (63), TP04 (4), TP05 (63)
    assert d.escalated == 2 and d.escalate_after_days == 7
    assert [(p.person_code, p.worker_code, p.days_overdue) for p in d.worst] == [
        ("TP03", "WB", 63),
        ("TP05", None, 63),
    ]
    assert d.worst[0].obligations == ("thought_report", "drug_test", "education", "meeting")
    assert d.escalated_unnamed == 0
    overdue = db.call(overdue_list, d, TEST_POLICY)
    assert [p.person_code for p in overdue] == ["TP03", "TP05", "TP02", "TP04"]
    assert [p.person_code for p in db.call(overdue_list, d, TEST_POLICY, limit=3)] == ["TP03", "TP05", "TP02"]
    assert d.overdue_workers == ((city.workers["WB"].id, "WB", 2),)  # the named people's workers


def test_tests_that_alert_and_late_entries_count_what_was_filed_today(db, city):
    d = _digest(db, city.areas["COM"])
    # filed on 4 March: TP01's and TP04's, TP02's refusal, TP09's absence and visit, TP08's
    # registration, TP03's late note; TP01's voided note and everything filed earlier are not.
    assert (d.filed.records, d.filed.late) == (7, 1)
    assert (d.filed.positive, d.filed.refused, d.filed.missed) == (1, 1, 1)


def test_urgent_alerts_and_how_fast_they_were_taken(db, city):
    d = _digest(db, city.areas["COM"])
    assert (d.alerts.raised, d.alerts.acknowledged, d.alerts.open) == (3, 2, 1)
    assert d.alerts.median_minutes == 20  # 10 and 30 minutes; yesterday's alert is not today's


def test_family_messages_waiting_over_a_day_are_counted(db, city):
    assert _digest(db, city.areas["COM"]).unanswered_messages == 1  # TP01's; TP02's waits 22 h


def test_colour_changes_registrations_releases_and_endings(db, city):
    d = _digest(db, city.areas["COM"])
    assert (d.colour_changes.up, d.colour_changes.down) == (1, 1)  # TP09 blue→orange, TP07 white→blue
    assert d.people.registrations == 2  # TP08 by its registration record, TP09 by its date
    assert d.people.releases == 1  # TP08 back from isolation
    assert d.people.programme_ends == 1  # TP07


def test_unreachable_chats_pauses_and_reviews(db, city):
    d = _digest(db, city.areas["COM"])
    assert (d.unreachable.workers, d.unreachable.families) == (1, 1)  # WA; TP02's family (TP10's elsewhere)
    assert (d.pauses.current, d.pauses.started) == (2, 1)  # TP06 since 1 March, TP07 from today
    # 14 records filed within 30 days, less TP01's reviewed visit, TP02's wrong education and
    # TP02's visit reviewed twice; TP04's visit changed after its review and waits again.
    assert (d.reviews.awaiting, d.reviews.errors_open) == (11, 1)


def test_campaign_day_activity_appears_only_on_campaign_days(db, city):
    assert _digest(db, city.areas["COM"]).campaigns == ()
    policy = TEST_POLICY.__class__(
        tz=TEST_POLICY.tz, rules=TEST_POLICY.rules, campaigns=(CampaignDay("t", 3, 4),)
    )
    (campaign,) = _digest(db, city.areas["COM"], policy=policy).campaigns
    assert (campaign.month, campaign.day) == (3, 4)
    a = campaign.activity
    assert (a.records, a.visits, a.education, a.workers) == (7, 1, 0, 2)


def test_a_city_digest_covers_every_county_and_a_county_only_its_own(db, city):
    whole = _digest(db, city.areas["CITY"])
    other = _digest(db, city.areas["CTY2"])
    assert whole.people.total == 9 and other.people.total == 1
    assert whole.filed.positive == 2 and other.filed.positive == 1  # TP10's test counts in its county
    assert [b.code for b in whole.bars] == ["T-CTY", "T-CTY2"]


def test_a_week_report_counts_the_events_of_the_whole_week(db, city):
    d = _digest(db, city.areas["COM"], kind=PeriodKind.week)
    assert (d.period.start.isoformat(), d.period.end.isoformat()) == ("2026-03-02", "2026-03-04")
    # plus TP02's visit (2 March) and TP01's and TP04's of 3 March
    assert d.filed.records == 10
    assert d.alerts.raised == 4 and d.alerts.median_minutes == 10  # 5, 10, 30 minutes
    assert d.meetings == Tally(total=10, done=1, due=6, overdue=3)  # the state today, as in the digest


def test_a_digest_transaction_plans_for_its_own_subtree_and_hashes_in_memory(db, city):
    """On PostgreSQL a digest's statements are planned for their own subtree (no generic plan
    after the driver prepares them) with room to hash; the settings end with the transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has neither setting")
    settings = "SELECT current_setting('plan_cache_mode'), current_setting('work_mem')"
    with db.unit_of_work() as s:
        share(s, city.areas["COM"].path, Period.of(PeriodKind.day, DAY), policy=TEST_POLICY, now=NOW)
        assert s.execute(text(settings)).one() == ("force_custom_plan", f"{AGGREGATE_MEMORY_MB}MB")
    with db.unit_of_work() as s:
        assert s.execute(text(settings)).one() != ("force_custom_plan", f"{AGGREGATE_MEMORY_MB}MB")
