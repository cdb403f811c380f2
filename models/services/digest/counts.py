"""The digest's counts over a subtree: one set-based query per figure, grouped by area.

`count_subtree` runs each query once for a subtree and keeps the answer per area id (a person,
a worker, a record belongs to exactly one area), so the digest of any area inside it is a sum
over that area's subtree: the daily job counts a city once and rolls the counts up for every
supervisor below, instead of scanning the same records again for each of them.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.people import Colour, Role
from models.records import Record, RecordKind
from models.services.digest import queries as q
from models.services.digest.queries import COLOURS, Counts
from models.services.digest.scope import in_subtree
from models.services.review.marking import ReviewCounts, review_counts_by_area
from models.services.sql import sum_of

_RISK = {colour: rank for rank, colour in enumerate(Colour)}  # red 0 (highest) … blue 3


def _total(counts: Counts, areas: Collection[int], width: int) -> tuple[int, ...]:
    totals = [0] * width
    for area_id in areas:
        for i, value in enumerate(counts.get(area_id, ())):
            totals[i] += value
    return tuple(totals)


def median_minutes(minutes: list[float]) -> int | None:
    """The median of a list of minutes, rounded; None for none."""
    return round(statistics.median(minutes)) if minutes else None


@dataclass(frozen=True)
class People:
    """People under management by colour, and the period's arrivals and departures."""

    by_colour: tuple[tuple[Colour, int], ...]  # every colour, red first
    in_isolation: int
    registrations: int  # 报到: registered, or a registration record, in the period
    releases: int  # back from compulsory isolation in the period
    programme_ends: int  # 解除: the programme ended in the period

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_colour)


@dataclass(frozen=True)
class Filed:
    """Records filed (created) in the period: all of them, late ones, and the tests that alert."""

    records: int
    late: int
    positive: int
    refused: int
    missed: int  # absent: did not come to the test


@dataclass(frozen=True)
class Alerts:
    """Urgent family alerts raised in the period and how fast a worker took them."""

    raised: int
    acknowledged: int
    open: int
    median_minutes: int | None  # to acknowledge, over the acknowledged ones


@dataclass(frozen=True)
class ColourChanges:
    up: int  # to a higher risk class
    down: int

    @property
    def total(self) -> int:
        return self.up + self.down


@dataclass(frozen=True)
class Unreachable:
    """Chats that blocked the bot (403), so nothing reaches them."""

    workers: int
    families: int


@dataclass(frozen=True)
class Pauses:
    current: int  # people paused on the digest's day
    started: int  # pauses starting in the period


@dataclass(frozen=True)
class Figures:
    """The counted figures of one subtree."""

    people: People
    filed: Filed
    alerts: Alerts
    unanswered_messages: int
    colour_changes: ColourChanges
    unreachable: Unreachable
    pauses: Pauses
    reviews: ReviewCounts


@dataclass(frozen=True)
class SubtreeCounts:
    """Every counted figure of a subtree, per area, for one period and moment."""

    people: Counts  # red, orange, white, blue, in isolation, registrations, releases, programme ends
    filed: Counts  # records, late, positive, refused, missed
    unanswered: Counts
    unreachable: Counts  # workers, families
    pauses: Counts  # people paused on the day, pauses started
    reviews: Counts  # awaiting, errors open
    alerts: tuple[tuple[int, datetime, datetime | None], ...]  # area, raised, acknowledged (by asof)
    changes: tuple[tuple[int, Colour, Colour], ...]  # area, from, to

    def figures(self, areas: Collection[int]) -> Figures:
        """The figures of the areas given (a subtree of the counted one), summed."""
        people = _total(self.people, areas, 8)
        waits = [(ack - raised).total_seconds() / 60 for a, raised, ack in self.alerts if a in areas and ack]
        raised = sum(1 for a, _, _ in self.alerts if a in areas)
        changes = [(old, new) for a, old, new in self.changes if a in areas]
        return Figures(
            people=People(tuple(zip(COLOURS, people[:4], strict=True)), *people[4:]),
            filed=Filed(*_total(self.filed, areas, 5)),
            alerts=Alerts(raised, len(waits), raised - len(waits), median_minutes(waits)),
            unanswered_messages=_total(self.unanswered, areas, 1)[0],
            colour_changes=ColourChanges(
                sum(1 for old, new in changes if _RISK[new] < _RISK[old]),
                sum(1 for old, new in changes if _RISK[new] > _RISK[old]),
            ),
            unreachable=Unreachable(*_total(self.unreachable, areas, 2)),
            pauses=Pauses(*_total(self.pauses, areas, 2)),
            reviews=ReviewCounts(*_total(self.reviews, areas, 2)),
        )


def count_subtree(
    session: Session,
    path: str,
    start: date,
    end: date,
    since: datetime,
    until: datetime,
    asof: datetime,
    on: date,
) -> SubtreeCounts:
    """Run every count of the digest once over the subtree at `path`: the period is [start, end]
    (as UTC [since, until)), states are taken at `asof`, pauses on the day `on`."""
    return SubtreeCounts(
        people=q.people_by_area(session, path, start, end, since, until),
        filed=q.filed_by_area(session, path, since, until),
        unanswered=q.unanswered_by_area(session, path, asof),
        unreachable=q.unreachable_by_area(session, path),
        pauses=q.pauses_by_area(session, path, start, end, on),
        reviews=review_counts_by_area(session, path, asof),
        alerts=q.alerts_by_area(session, path, since, until, asof),
        changes=q.changes_by_area(session, path, since, until),
    )


@dataclass(frozen=True)
class DayActivity:
    """What was filed on one day (a campaign day): records, visits, education, staff involved."""

    records: int
    visits: int
    education: int
    workers: int


def day_activity(session: Session, path: str, since: datetime, until: datetime) -> DayActivity:
    """Counted per subtree, not rolled up: one worker may file in several areas. Campaign days only."""
    query = in_subtree(
        select(
            func.count(),
            sum_of(Record.kind == RecordKind.visit),
            sum_of(Record.kind == RecordKind.education),
            func.count(func.distinct(Record.author_id)),
        ).select_from(Record),
        Record.person_id,
        path,
    ).where(Record.created_at >= since, Record.created_at < until, Record.voided.is_(False))
    return DayActivity(*(int(v or 0) for v in session.execute(query).one()))


def staff_roles() -> tuple[Role, ...]:
    """The roles whose work is evaluated (everyone but supervisors and administrators)."""
    return tuple(r for r in Role if r not in (Role.supervisor, Role.admin))
