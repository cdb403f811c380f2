"""Campaign days reach their audience: ahead of time and on the day, each reminder once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

from bot.db import Database
from handlers.reminders.jobs import campaigns
from models.people import Role
from models.policy import CampaignDay
from models.services.outbox.claims import CAMPAIGN_DAY
from tests.integration.reminders_city import City, at, build_city, linked_worker


def _campaign_chats(city: City, key: str) -> set[int]:
    return {r.chat_id for k, r in city.outbox().items() if k.startswith(f"campaign:{key}:")}


def test_the_audience_is_reminded_a_week_ahead_a_day_ahead_and_on_the_day(db: Database) -> None:
    city = build_city(db)
    supervisor = linked_worker(db, city.grid, Role.supervisor)
    medical = linked_worker(db, city.grid, Role.medical)  # not in the default audience
    for day in (date(2026, 6, 18), date(2026, 6, 25), date(2026, 6, 26)):
        assert city.run(campaigns, at(day, time(8, 30))) == 3
    keys = sorted(k for k in city.outbox() if k.startswith("campaign:june26:"))
    assert len(keys) == 9 and {k.split(":")[3] for k in keys} == {"7", "1", "0"}
    assert _campaign_chats(city, "june26") == {
        city.worker.telegram_user_id,
        city.cadre.telegram_user_id,
        supervisor.telegram_user_id,
    }
    assert medical.telegram_user_id not in _campaign_chats(city, "june26")
    text = city.outbox()[f"campaign:june26:2026-06-26:0:{city.worker.id}"].payload["text"]
    assert "国际禁毒日" in text and "就是今天" in text


def test_a_second_run_on_the_same_day_queues_nothing(db: Database) -> None:
    city = build_city(db)
    assert city.run(campaigns, at(date(2026, 6, 2))) == 2
    assert city.run(campaigns, at(date(2026, 6, 2), time(15))) == 0


def test_a_localitys_campaign_reaches_only_its_area_and_roles(db: Database) -> None:
    city = build_city(db)
    elsewhere = build_city(db, prefix="U")
    day = CampaignDay(
        "county", 9, 15, lead_days=(3,), audience=("grid_worker",), name="全县宣传日", area="T-CTY"
    )
    city.policy = replace(city.policy, campaigns=(day,))
    assert city.run(campaigns, at(date(2026, 9, 11))) == 1  # three days ahead is a Saturday: Friday
    assert _campaign_chats(city, "county") == {city.worker.telegram_user_id}
    assert elsewhere.worker.telegram_user_id not in _campaign_chats(city, "county")


def test_the_days_own_reminder_is_marked_to_go_out_even_on_a_rest_day(db: Database) -> None:
    city = build_city(db)
    day = CampaignDay("national", 10, 1, lead_days=(7,), audience=("grid_worker",), name="国庆宣传")
    city.policy = replace(city.policy, campaigns=(day,))
    city.run(campaigns, at(date(2026, 9, 24)))  # a week ahead (a Thursday)
    city.run(campaigns, at(date(2026, 10, 1)))  # the day: a public holiday
    purposes = {k.split(":")[3]: r.purpose for k, r in city.outbox().items() if k.startswith("campaign:")}
    assert purposes == {"7": "campaign", "0": CAMPAIGN_DAY}  # the sender holds only the first on rest days
