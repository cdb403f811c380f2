"""Policy: every configurable number of the domain in one frozen object, built from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from models.schedule import DEFAULT_RULES, RuleSet
from models.workdays import WorkCalendar


@dataclass(frozen=True)
class CampaignDay:
    """A campaign day (6·3, 6·26, 12·4, or a locality's own): reminders at the lead days and on the day."""

    key: str
    month: int
    day: int
    lead_days: tuple[int, ...] = (7, 1)
    audience: tuple[str, ...] = ("grid_worker", "cadre", "police", "supervisor")


BUILT_IN_CAMPAIGNS = (
    CampaignDay("humen", 6, 3),  # 虎门销烟纪念日
    CampaignDay("june26", 6, 26),  # 国际禁毒日
    CampaignDay("dec4", 12, 4),  # 国家宪法日 / 法制宣传日
)


@dataclass(frozen=True)
class Policy:
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    rules: RuleSet = DEFAULT_RULES
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    morning_at: time = time(8, 30)
    digest_at: time = time(18, 0)
    quiet_from: time = time(21, 0)
    quiet_until: time = time(8, 0)
    escalate_to_cadre_after_days: int = 3
    escalate_to_digest_after_days: int = 7
    alert_ack_timeout: timedelta = timedelta(minutes=30)
    family_messages_per_hour: int = 10
    campaigns: tuple[CampaignDay, ...] = BUILT_IN_CAMPAIGNS

    def local_date(self, moment) -> date:  # type: ignore[no-untyped-def]
        """The date in the configured time zone of a UTC-aware moment."""
        return moment.astimezone(self.tz).date()
