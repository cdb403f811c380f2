"""Reminders that are one templated message each: campaign days, a programme's coming end, and a
family's meeting of the day. Each goes once per dedupe key, built here (jobs call these; the
morning list and the overdue ladder are pages drawn by models.services.reminders.sending).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.buttons import CardOpen
from models.policy import Policy
from models.services.appointments.family import family_reminders_due
from models.services.campaigns import CAMPAIGN, audience, notices_due
from models.services.notify import Notifier
from models.services.outbox.claims import CAMPAIGN_DAY
from models.services.reminders.overdue import CASE_END, already_queued
from models.services.reminders.overdue import case_endings as endings_soon


@dataclass(frozen=True)
class CampaignView:
    key: str
    name: str | None
    task: str | None
    on: date
    days_left: int


def campaign_reminders(
    session: Session,
    notifier: Notifier,
    *,
    policy: Policy,
    today: date,
    area_path: str | None = None,
    worker_ids: Collection[int] | None = None,
) -> int:
    """Campaign-day reminders due today (lead days, and the day itself) to each audience (its
    members among `worker_ids` only, if given: workers who joined late); how many were queued."""
    count = 0
    for notice in notices_due(policy, today):
        people = audience(session, notice.campaign, area_path=area_path, worker_ids=worker_ids)
        queued = already_queued(session, [notice.dedupe_key(r.worker_id) for r in people])
        c = notice.campaign
        view = CampaignView(c.key, c.name, c.task, notice.on, (notice.on - today).days)
        # The day's own reminder goes out on a rest day too (the campaign is that day); lead days don't.
        purpose = CAMPAIGN_DAY if notice.days_before == 0 else CAMPAIGN
        for r in people:
            key = notice.dedupe_key(r.worker_id)
            if key not in queued:
                count += (
                    notifier.notify(
                        r.chat_id, "reminders/campaign", purpose=purpose, dedupe_key=key, notice=view
                    )
                    is not None
                )
    return count


@dataclass(frozen=True)
class EndingView:
    code: str
    status: str
    ends_on: date
    days_left: int


def case_ending_tasks(
    session: Session,
    notifier: Notifier,
    *,
    policy: Policy,
    today: date,
    area_path: str | None = None,
    worker_ids: Collection[int] | None = None,
) -> int:
    """A "case ending" task to the responsible worker a month before the programme ends (once; to
    these workers only, if given: workers who joined late); nothing on a rest day."""
    if not policy.calendar.is_working_day(today):
        return 0
    found = endings_soon(session, today=today, policy=policy, area_path=area_path)
    if worker_ids is not None:
        wanted = set(worker_ids)
        found = [e for e in found if e.to.worker_id in wanted]
    queued = already_queued(session, [k for e in found for k in (e.dedupe_key, e.earlier_key)])
    count = 0
    for e in found:
        if e.dedupe_key in queued or e.earlier_key in queued:
            continue
        view = EndingView(e.code, e.status, e.ends_on, (e.ends_on - today).days)
        count += (
            notifier.notify(
                e.to.chat_id,
                "reminders/case_ending",
                purpose=CASE_END,
                dedupe_key=e.dedupe_key,
                buttons=[[("rm_btn_open", CardOpen(e.person_id).pack())]],
                ending=view,
            )
            is not None
        )
    return count


def family_meeting_reminders(session: Session, notifier: Notifier, *, now: datetime, tz: ZoneInfo) -> int:
    """This morning's meeting reminders to families who asked (each once); the number queued."""
    sent = 0
    for due in family_reminders_due(session, now=now, tz=tz):
        key = (
            f"appt-family:{due.appointment_id}:{due.family_member_id}:{due.starts_at.strftime('%Y%m%d%H%M')}"
        )
        queued = notifier.notify(
            due.chat_id,
            "appointments/family_reminder",
            purpose="appointment",
            dedupe_key=key,
            at=due.starts_at,
        )
        sent += queued is not None
    return sent
