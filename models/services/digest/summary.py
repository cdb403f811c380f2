"""每日汇总: the state of a supervisor's jurisdiction for a day (or a week or month to date).

Obligation figures are counted by the database from the kept items, per area (models.services.digest
.items); everything else is one set-based query per figure over the subtree (.counts).
People are named by code only, and only the worst few: the rest are counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.policy import CampaignDay, Policy
from models.schedule import Obligation
from models.services.alerts.unrouted import UnroutedAlert, unrouted_alerts
from models.services.digest import counts
from models.services.digest.items import KeptCounts, count_items, overdue_in
from models.services.digest.rows import (
    Bar,
    OverduePerson,
    Tally,
    area_bars,
    child_areas,
    overdue_people,
    subtree_areas,
    worker_bars,
)
from models.services.digest.scope import AreaRef
from models.services.obligations.due import obligation_rows
from models.services.review.marking import ReviewCounts
from models.services.sql import custom_plans, roomy_aggregates

WORST_NAMED = 5


class PeriodKind(StrEnum):
    day = "day"
    week = "week"
    month = "month"


@dataclass(frozen=True)
class Period:
    """The days a digest covers, and the last due day of the obligations its chart shows."""

    kind: PeriodKind
    start: date
    end: date
    horizon: date

    @classmethod
    def of(cls, kind: PeriodKind, day: date) -> Period:
        """A day's digest, or the week or month to `day`; the chart looks to the week's or month's end."""
        sunday = day + timedelta(days=6 - day.weekday())
        if kind is PeriodKind.day:
            return cls(kind, day, day, sunday)
        if kind is PeriodKind.week:
            return cls(kind, day - timedelta(days=day.weekday()), day, sunday)
        first = day.replace(day=1)
        month_end = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return cls(kind, first, day, month_end)

    def utc_range(self, policy: Policy) -> tuple[datetime, datetime]:
        """[local midnight of start, local midnight after end) in UTC."""
        return local_midnight(self.start, policy), local_midnight(self.end + timedelta(days=1), policy)


def local_midnight(day: date, policy: Policy) -> datetime:
    """The start of a local day, in UTC."""
    return datetime.combine(day, time(), tzinfo=policy.tz).astimezone(UTC)


@dataclass(frozen=True)
class Campaign:
    """A campaign day in the period and what was filed on it; `name` is a locality's own (built-in
    days are named by the templates, by key: 12·4 is 国家宪法日, not a 禁毒宣传日)."""

    key: str
    month: int
    day: int
    activity: counts.DayActivity
    name: str | None = None


@dataclass(frozen=True)
class Digest:
    area: AreaRef
    period: Period
    asof: datetime
    escalate_after_days: int
    people: counts.People
    meetings: Tally
    tests: Tally
    others: Tally
    chart: Tally  # the obligations due by the horizon, all areas together
    people_overdue: int
    escalated: int  # people overdue at least `escalate_after_days`
    worst: tuple[OverduePerson, ...]
    # (worker id, code, people of theirs overdue here) for the buttons: at the lowest level every
    # worker with someone overdue, most first; above it the workers of the people named
    overdue_workers: tuple[tuple[int, str, int], ...]
    filed: counts.Filed
    alerts: counts.Alerts
    unanswered_messages: int
    colour_changes: counts.ColourChanges
    unreachable: counts.Unreachable
    reviews: ReviewCounts
    pauses: counts.Pauses
    campaigns: tuple[Campaign, ...]
    bars: tuple[Bar, ...]
    bars_are_workers: bool
    unrouted: tuple[UnroutedAlert, ...] = ()  # alerts some role of which nobody could take, until routed

    @property
    def escalated_unnamed(self) -> int:
        return self.escalated - len(self.worst)


def asof_moment(period: Period, policy: Policy, now: datetime) -> datetime:
    """The moment the state figures are taken: now, or the end of a past period."""
    return min(now, period.utc_range(policy)[1])


@dataclass(frozen=True)
class Shared:
    """What the digests of one day can share: the obligation figures and the counts of a wide
    subtree, per area. The daily job computes them once for the widest supervised area and every
    supervisor below sums their areas', with the same figures as if computed alone."""

    path: str
    kept: KeptCounts
    counts: counts.SubtreeCounts


def share(session: Session, path: str, period: Period, *, policy: Policy, now: datetime) -> Shared:
    """Compute the shareable part of the digests of the subtree at `path` for the period."""
    asof = asof_moment(period, policy, now)
    today = policy.local_date(asof)
    since, until = period.utc_range(policy)
    roomy_aggregates(session)
    custom_plans(session)
    return Shared(
        path,
        count_items(session, path, today, policy, horizon=period.horizon),
        counts.count_subtree(session, path, period.start, period.end, since, until, asof, today),
    )


def build_digest(
    session: Session,
    area: AreaRef,
    period: Period,
    *,
    policy: Policy,
    now: datetime,
    shared: Shared | None = None,
) -> Digest:
    """Every figure of the digest of `area`'s subtree; `shared` may carry what was computed for a
    wider subtree containing it, for the same period and moment."""
    asof = asof_moment(period, policy, now)
    today = policy.local_date(asof)
    if shared is None or not area.path.startswith(shared.path):
        shared = share(session, area.path, period, policy=policy, now=now)
    areas = subtree_areas(session, area.path)
    kept = shared.kept.part(areas.keys())
    tallies = kept.tallies()
    figures = shared.counts.figures(areas.keys())
    escalate_after = policy.escalate_to_digest_after_days
    named_at_most = WORST_NAMED if kept.escalated else 0
    worst = overdue_in(
        session, area.path, today, policy, at_least_days=escalate_after, limit=named_at_most, past=kept.past
    )
    lowest = not child_areas(area, areas)
    if not lowest:
        bars = area_bars(area, areas, tallies.chart_by_area)
        named = list(dict.fromkeys((p.worker_id, p.worker_code) for p in worst if p.worker_id))
        theirs = overdue_in(session, area.path, today, policy, workers=[w for w, _ in named], past=kept.past)
        overdue = Counter((p.worker_id, p.worker_code) for p in theirs)
        workers = [(w, code, overdue[(w, code)]) for w, code in named if w and code]
    else:  # the lowest level: a few workers' people, read as rows for the per-worker chart
        rows = obligation_rows(session, today=today, policy=policy, area_path=area.path)
        bars = worker_bars(session, [r for r in rows if r.period_end <= period.horizon])
        overdue = Counter((p.worker_id, p.worker_code) for p in overdue_people(session, rows))
        workers = [(w, code, n) for (w, code), n in overdue.most_common() if w and code]
    return Digest(
        area=area,
        period=period,
        asof=asof,
        escalate_after_days=escalate_after,
        people=figures.people,
        meetings=tallies.of((Obligation.meeting,)),
        tests=tallies.of((Obligation.drug_test,)),
        others=tallies.of([o for o in Obligation if o not in _MAIN]),
        chart=tallies.chart,
        people_overdue=kept.people_overdue,
        escalated=kept.escalated,
        worst=tuple(worst),
        overdue_workers=tuple(workers),
        filed=figures.filed,
        alerts=figures.alerts,
        unanswered_messages=figures.unanswered_messages,
        colour_changes=figures.colour_changes,
        unreachable=figures.unreachable,
        reviews=figures.reviews,
        pauses=figures.pauses,
        campaigns=_campaigns(session, area.path, period, policy),
        bars=bars,
        bars_are_workers=lowest,
        unrouted=tuple(unrouted_alerts(session, area_path=area.path)),
    )


def overdue_list(
    session: Session, digest: Digest, policy: Policy, *, limit: int | None = None
) -> list[OverduePerson]:
    """Everyone overdue in the digest's subtree on its day, longest first (exports, the Mini App)."""
    return overdue_in(session, digest.area.path, policy.local_date(digest.asof), policy, limit=limit)


_MAIN = (Obligation.meeting, Obligation.drug_test)


def campaign_days(period: Period, campaigns: Sequence[CampaignDay]) -> list[tuple[CampaignDay, date]]:
    """The campaign days (6·3, 6·26, 12·4, a locality's own) that fall in the period."""
    found = []
    for year in range(period.start.year, period.end.year + 1):
        for campaign in campaigns:
            try:
                day = date(year, campaign.month, campaign.day)
            except ValueError:  # 29 February in a common year
                continue
            if period.start <= day <= period.end:
                found.append((campaign, day))
    return sorted(found, key=lambda c: c[1])


def _campaigns(session: Session, path: str, period: Period, policy: Policy) -> tuple[Campaign, ...]:
    found = []
    for campaign, day in campaign_days(period, policy.campaigns):
        since, until = Period(PeriodKind.day, day, day, day).utc_range(policy)
        activity = counts.day_activity(session, path, since, until)
        found.append(Campaign(campaign.key, campaign.month, campaign.day, activity, campaign.name))
    return tuple(found)


def audited_digest(
    session: Session,
    who_actor: Actor,
    area: AreaRef,
    period: Period,
    *,
    policy: Policy,
    now: datetime,
) -> Digest:
    """`build_digest` for a person who asked (a command, a button, the CLI): the read is audited."""
    digest = build_digest(session, area, period, policy=policy, now=now)
    audit(
        session,
        who_actor,
        "digest",
        "area",
        area.id,
        at=now,
        detail=f"{period.kind}:{period.end.isoformat()}",
    )
    return digest
