"""Campaign days (宣传日): 6·3 虎门销烟纪念日, 6·26 国际禁毒日, 12·4 国家宪法日 and a locality's
own, announced ahead and on the day.

A reminder goes out on each lead day (7 and 1 days before, by default) and on the morning of the
day itself. A lead day that falls on a rest day moves back to the last working day before it (a
reminder is no use after the weekend it was meant for); the day's own reminder goes out whatever
day it is, because the campaign happens that day. A reminder missed (the bot was down) is sent
late, but only until the next one is due, so nobody gets two for one campaign on one day.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.areas import Area, subtree_ids
from models.people import Worker
from models.policy import CampaignDay, Policy
from models.services.reminders.due_lists import Recipient

CAMPAIGN = "campaign"  # outbox purpose


@dataclass(frozen=True)
class CampaignNotice:
    """One campaign reminder due today: which campaign, its date, and how many days ahead (0: today)."""

    campaign: CampaignDay
    on: date
    days_before: int

    def dedupe_key(self, worker_id: int) -> str:
        return f"{CAMPAIGN}:{self.campaign.key}:{self.on.isoformat()}:{self.days_before}:{worker_id}"


def send_day(policy: Policy, on: date, days_before: int) -> date:
    """When the reminder `days_before` a campaign on `on` goes out (a rest day moves it earlier)."""
    if days_before == 0:
        return on
    day = on - timedelta(days=days_before)
    for _ in range(30):
        if policy.calendar.is_working_day(day):
            return day
        day -= timedelta(days=1)
    return on - timedelta(days=days_before)


def notices_due(policy: Policy, today: date) -> list[CampaignNotice]:
    """The campaign reminders to send today (catching up a missed one until the next is due)."""
    found = []
    for campaign in policy.campaigns:
        for year in (today.year, today.year + 1):
            on = campaign.on(year)
            if on is None or on < today:
                continue
            steps = sorted({*campaign.lead_days, 0}, reverse=True)  # e.g. 7, 1, 0
            days = [send_day(policy, on, d) for d in steps]
            for n, before in enumerate(steps):
                until = days[n + 1] if n + 1 < len(days) else on + timedelta(days=1)
                if days[n] <= today < until:
                    found.append(CampaignNotice(campaign, on, before))
    return found


def audience(
    session: Session,
    campaign: CampaignDay,
    *,
    area_path: str | None = None,
    worker_ids: Collection[int] | None = None,
) -> list[Recipient]:
    """The active, linked workers of the campaign's roles (in its area, and in `area_path` if given;
    of `worker_ids` only, if given: workers who joined late, models.services.reminders.joiners)."""
    own = _path_of(session, campaign.area)
    if campaign.area is not None and own is None:
        return []  # the campaign names an area this deployment does not have
    query = select(Worker.id, Worker.telegram_user_id, Worker.name).where(
        Worker.active.is_(True), Worker.telegram_user_id.is_not(None), Worker.role.in_(campaign.audience)
    )
    if worker_ids is not None:
        query = query.where(Worker.id.in_(sorted(worker_ids)))
    for path in (own, area_path):
        if path is not None:
            query = query.where(Worker.area_id.in_(subtree_ids(path)))
    rows = session.execute(query.order_by(Worker.id))
    # The query keeps linked accounts only.
    return [Recipient(w, chat, name) for w, chat, name in rows if chat is not None]


def _path_of(session: Session, code: str | None) -> str | None:
    if code is None:
        return None
    return session.scalar(select(Area.path).where(Area.code == code))
