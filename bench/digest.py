"""Issue 9.3: the supervisors' digests — the top area's digest, and every supervisor's daily digest.

On a demo city whose staff all have (fake) Telegram accounts:

- the city-level digest: `models.services.digest.summary.build_digest` for the root area (every figure,
  over every person) and `handlers.supervisor.digest.digest_messages` (the text and the
  completion chart of handlers/supervisor/charts.py), each run in a transaction rolled back afterwards;
- the `daily_digests` job exactly as the scheduler runs it (bot.scheduler.Scheduler.run_job, at
  the policy's digest time) on consecutive days, since a day's run happens once: the total, and
  each digest's own time (build + queue), taken by wrapping the job module's `build_digest` and
  `queue_digest` while it runs; the shared part (`share`: the widest subtree's obligation rows and
  counts, computed once per run) apart;
- then the same day's job again, which must queue nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import func, select

from bench.common import BENCH_KEYS, NOW, analyze, link_staff, median, percentile, run_scheduled
from bot.db import Database
from bot.jobs import JOBS, Job
from handlers.context import JobCtx
from handlers.render import Renderer
from handlers.supervisor import digest as supervisor_digest
from models.areas import Area, within
from models.crypto import KeyRing
from models.outbox import OutboxMessage
from models.people import Person
from models.policy import Policy
from models.services.digest.scope import AreaRef, digest_recipients
from models.services.digest.summary import Period, PeriodKind, build_digest

TARGET_CITY_DIGEST_S = 5.0  # issue 9.3: a city-level digest over 1,000,000 persons
TARGET_ALL_DIGESTS_S = 300.0  # issue 9.3: all 5,000 supervisors' digests
TARGET_SUPERVISORS = 5_000
COUNTRY_PERSONS = 1_000_000

Progress = Callable[[str], None]


@dataclass
class DigestResult:
    backend: str
    persons: int
    area: str  # the root area's code
    figures_s: float  # build_digest of the root area (median)
    render_s: float  # its text and chart (median)
    chart_bytes: int
    overdue_people: int
    recipients: int  # linked supervisors: the digests a day
    job_s: float  # the whole daily_digests job, scheduler run, committed (median)
    queued: list[int]  # digests queued per day run
    per_digest_s: float  # median over every digest of every run: build_digest + queue_digest
    per_digest_p90_s: float
    share_s: float  # the shared part, per run (median)
    again: int  # the same day's job once more: should be 0

    @property
    def digest_s(self) -> float:
        return self.figures_s + self.render_s

    @property
    def per_million_s(self) -> float:
        """The city-level digest at 1,000,000 persons: figures grown linearly, text and chart as they are
        (the chart has at most MAX_BARS bars, whatever the size)."""
        if not self.persons:
            return float("nan")
        return self.figures_s / self.persons * COUNTRY_PERSONS + self.render_s

    @property
    def projected_s(self) -> float:
        """5,000 digests at this size's per-digest cost, plus one shared part."""
        return self.share_s + TARGET_SUPERVISORS * self.per_digest_s


@dataclass
class _Stopwatch:
    """Each digest's time inside the job: from its build_digest call to the end of its queue_digest."""

    per_digest: list[float] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)
    _started: float = 0.0

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        module = supervisor_digest
        build, queue, share = module.build_digest, module.queue_digest, module.share

        def timed_build(*args: Any, **kwargs: Any) -> Any:
            self._started = perf_counter()
            return build(*args, **kwargs)

        def timed_queue(*args: Any, **kwargs: Any) -> Any:
            try:
                return queue(*args, **kwargs)
            finally:
                self.per_digest.append(perf_counter() - self._started)

        def timed_share(*args: Any, **kwargs: Any) -> Any:
            start = perf_counter()
            try:
                return share(*args, **kwargs)
            finally:
                self.shares.append(perf_counter() - start)

        module.build_digest, module.queue_digest, module.share = timed_build, timed_queue, timed_share  # type: ignore[assignment]
        try:
            yield
        finally:
            module.build_digest, module.queue_digest, module.share = build, queue, share  # type: ignore[assignment]


def _charts(db: Database) -> int:
    """Digests queued so far: each is a chart (a photo) and its pages."""
    with db.unit_of_work() as session:
        query = select(func.count()).where(OutboxMessage.dedupe_key.like("digest:%:chart"))
        return session.scalar(query) or 0


def _root(session: Any) -> AreaRef:
    row = session.execute(
        select(Area.id, Area.code, Area.name, Area.level, Area.path)
        .where(Area.parent_id.is_(None))
        .order_by(Area.id)
    ).first()
    if row is None:
        raise RuntimeError("no area: generate a demo city first")
    return AreaRef(*row)


def _city_digest(
    db: Database, policy: Policy, renderer: Renderer, at: datetime
) -> tuple[float, float, int, int]:
    """The root area's digest, figures then text and chart: seconds of each, chart bytes, overdue people."""
    session = db.sessions()
    try:
        area = _root(session)
        period = Period.of(PeriodKind.day, policy.local_date(at))
        start = perf_counter()
        digest = build_digest(session, area, period, policy=policy, now=at)
        built = perf_counter()
        messages = supervisor_digest.digest_messages(renderer, "zh_CN", digest, can_review=True)
        rendered = perf_counter()
    finally:
        session.rollback()
        session.close()
    return built - start, rendered - built, len(messages.chart), digest.people_overdue


def _job() -> Job:
    found = next((j for j in JOBS if j.name == "daily_digests"), None)
    if found is None:
        raise LookupError("no scheduled job 'daily_digests' in bot.jobs.JOBS")
    return found


def digest_moments(policy: Policy, start: datetime, n: int) -> list[datetime]:
    """The policy's digest time on `n` consecutive local days from `start`'s."""
    first = datetime.combine(policy.local_date(start), policy.digest_at, tzinfo=policy.tz)
    return [first + timedelta(days=i) for i in range(n)]


async def run(url: str, *, repeats: int, backend: str, progress: Progress | None = None) -> DigestResult:
    """Every figure of the digests on one database holding a demo city."""
    note = progress or (lambda _text: None)
    analyze(url)  # statistics as autovacuum would have them (PostgreSQL)
    db = Database(url)
    policy, keys = Policy(), KeyRing.parse(BENCH_KEYS)
    renderer = Renderer(policy.tz)
    try:
        with db.unit_of_work() as session:
            link_staff(session)
            root = _root(session)
            persons = (
                session.scalar(
                    select(func.count())
                    .select_from(Person)
                    .join(Area, Area.id == Person.area_id)
                    .where(within(Area.path, root.path))
                )
                or 0
            )
            recipients = len(digest_recipients(session))
        note(f"the city-level digest over {persons:,} persons ×{repeats}")
        city = [_city_digest(db, policy, renderer, NOW) for _ in range(repeats)]
        note(f"the daily_digests job ({recipients} supervisors) on {repeats} days")
        job, watch = _job(), _Stopwatch()
        moments = digest_moments(policy, NOW, repeats)
        with watch.installed():
            runs = []
            for at in moments:  # the job's count is its batches' (supervisors dealt with): count charts
                before = _charts(db)
                seconds, _count = await run_scheduled(db, job, policy, renderer, keys, at)
                runs.append((seconds, _charts(db) - before))
        with db.unit_of_work() as session:
            again = supervisor_digest.daily_digests(
                JobCtx(now=moments[-1], renderer=renderer, _session=session, policy=policy, keys=keys)
            )
    finally:
        db.dispose()
    return DigestResult(
        backend=backend,
        persons=persons,
        area=root.code,
        figures_s=median([c[0] for c in city]),
        render_s=median([c[1] for c in city]),
        chart_bytes=city[-1][2],
        overdue_people=city[-1][3],
        recipients=recipients,
        job_s=median([s for s, _ in runs]),
        queued=[n for _, n in runs],
        per_digest_s=median(watch.per_digest),
        per_digest_p90_s=percentile(watch.per_digest, 90),
        share_s=median(watch.shares),
        again=again,
    )


HEADERS = (
    "database",
    "persons",
    "city digest: figures s",
    "text + chart s",
    "total s",
    "at 1,000,000 persons s (projected)",
    "supervisors",
    "daily_digests job s",
    "queued per day",
    "per digest s (median)",
    "p90 s",
    "shared part s",
    "5,000 digests (projected) s",
    "again",
)


def as_row(r: DigestResult) -> list[Any]:
    return [
        r.backend,
        r.persons,
        r.figures_s,
        r.render_s,
        r.digest_s,
        r.per_million_s,
        r.recipients,
        r.job_s,
        "/".join(f"{n:,}" for n in r.queued),
        r.per_digest_s,
        r.per_digest_p90_s,
        r.share_s,
        r.projected_s,
        r.again,
    ]


def checks(r: DigestResult, size: str) -> list[str]:
    """Against issue 9.3: measured at the country size; elsewhere the linear projections are said."""
    lines = []
    if size == "country":
        met = r.digest_s < TARGET_CITY_DIGEST_S
        lines.append(
            f"digest/{r.backend}, city-level over {r.persons:,}: {r.digest_s:.1f} s: "
            f"{'meets' if met else 'MISSES'} the target (< {TARGET_CITY_DIGEST_S:g} s)"
        )
        met = r.job_s < TARGET_ALL_DIGESTS_S
        lines.append(
            f"digest/{r.backend}, all {r.recipients:,} digests: {r.job_s:.0f} s: "
            f"{'meets' if met else 'MISSES'} the target (< {TARGET_ALL_DIGESTS_S:g} s)"
        )
    else:
        lines.append(
            f"digest/{r.backend} at {size} size: city-level {r.digest_s:.2f} s over {r.persons:,} persons "
            f"(projected at 1,000,000: {r.per_million_s:.0f} s; target < {TARGET_CITY_DIGEST_S:g} s); "
            f"{r.recipients} digests {r.job_s:.1f} s (projected 5,000: {r.projected_s:.0f} s; target "
            f"< {TARGET_ALL_DIGESTS_S:g} s)"
        )
    if r.again:
        lines.append(f"digest/{r.backend}: a repeated run queued {r.again} digest(s): NOT idempotent")
    return lines
