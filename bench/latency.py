"""One paced update taken apart (its database trips, the collector's pauses) and the report of a
run: what bench/tail.py measures and prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from time import perf_counter
from typing import Any

from bench.common import median, percentile


@dataclass
class Trip:
    """One unit of work an update hands to the database pool."""

    name: str
    submitted: float
    started: float = 0.0  # began on a database thread
    unit_end: float = 0.0  # its function returned (the commit still to come)
    committed: float = 0.0  # the unit committed (the database thread is free for the next)
    cpu: float = 0.0  # the database thread's CPU time over the unit and its commit
    resumed: float = 0.0  # the event loop resumed the update after it


@dataclass
class Timing:
    """One update of the paced run, taken apart."""

    step: str
    start: float
    latency: float = 0.0
    trips: list[Trip] = field(default_factory=list)

    def _sum(self, part: Callable[[Trip], float], name: str | None = None) -> float:
        return sum(part(t) for t in self.trips if name is None or t.name == name)

    @property
    def queue(self) -> float:
        return self._sum(lambda t: t.started - t.submitted)

    @property
    def queue_core(self) -> float:
        return self._sum(lambda t: t.started - t.submitted, "_process")

    @property
    def queue_replies(self) -> float:
        return self._sum(lambda t: t.started - t.submitted, "replies_waiting")

    @property
    def unit(self) -> float:
        return self._sum(lambda t: t.unit_end - t.started)

    @property
    def back(self) -> float:
        return self._sum(lambda t: t.resumed - t.unit_end)

    @property
    def loop(self) -> float:
        return self.latency - self._sum(lambda t: t.resumed - t.submitted)


@dataclass
class Collector:
    """The collector's pauses: (start, end, generation) by `gc.callbacks`."""

    pauses: list[tuple[float, float, int]] = field(default_factory=list)
    _began: float = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = perf_counter()
        else:
            self.pauses.append((self._began, perf_counter(), int(info["generation"])))

    def within(self, start: float, end: float) -> list[tuple[float, float, int]]:
        return [p for p in self.pauses if p[1] > start and p[0] < end]


def report(timings: list[Timing], collector: Collector, seconds: float) -> str:
    """The slowest 1 % against the median update, part by part, and what overlapped them."""
    ms = 1000.0
    latencies = [t.latency for t in timings]
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    slow = [t for t in timings if t.latency >= p99]
    typical = [t for t in timings if t.latency <= p50]
    lines = [
        f"{len(timings)} updates in {seconds:.1f} s ({len(timings) / seconds:.0f}/s); "
        f"p50 {p50 * ms:.1f} ms, p90 {percentile(latencies, 90) * ms:.1f} ms, p99 {p99 * ms:.1f} ms, "
        f"max {max(latencies) * ms:.1f} ms",
        "",
        "| part (median ms) | all updates | the slowest 1 % |",
        "|---|---:|---:|",
    ]
    for name in ("latency", "queue", "queue_core", "queue_replies", "unit", "back", "loop"):
        lines.append(
            f"| {name} | {median([getattr(t, name) for t in timings]) * ms:.2f} "
            f"| {median([getattr(t, name) for t in slow]) * ms:.2f} |"
        )
    lines += [
        "",
        "steps of the slowest 1 %: "
        + ", ".join(f"{s} {n}" for s, n in Counter(t.step for t in slow).most_common()),
    ]
    unit_by_step: dict[str, list[float]] = {}
    for t in timings:
        unit_by_step.setdefault(t.step, []).append(t.unit)
    lines.append(
        "unit of work by step, median / p99 ms: "
        + ", ".join(
            f"{s} {median(v) * ms:.1f}/{percentile(v, 99) * ms:.1f}" for s, v in sorted(unit_by_step.items())
        )
    )
    trips = sorted((trip for t in timings for trip in t.trips), key=lambda trip: trip.started)
    commits = [trip.committed - trip.unit_end for trip in trips]
    # The database thread's gaps while work waited: from one unit's commit to the next unit's start,
    # when the next was already queued (a thread pool takes it at once unless the thread does not run).
    stalls = [b.started - a.committed for a, b in pairwise(trips) if b.submitted < a.committed]
    busy = sum(trip.committed - trip.started for trip in trips)
    lines.append(
        f"database thread: busy {busy:.1f} s of {seconds:.1f} s ({len(trips)} units); commit median "
        f"{median(commits) * ms:.2f} ms, max {max(commits) * ms:.1f} ms; gaps with work waiting: "
        f"median {median(stalls) * ms:.2f} ms, max {max(stalls, default=0) * ms:.1f} ms, "
        f"{sum(stalls):.2f} s in all"
    )
    cpu = sum(trip.cpu for trip in trips)
    lines.append(
        f"database thread's CPU time in those units: {cpu:.1f} s of {busy:.1f} s busy "
        "(the rest: waiting for a CPU, the GIL or the disk)"
    )
    slowest_units = sorted(trips, key=lambda trip: trip.committed - trip.started)[-5:]
    lines.append(
        "longest units (name, in the unit / commit / CPU ms): "
        + ", ".join(
            f"{trip.name} {(trip.unit_end - trip.started) * ms:.0f}/"
            f"{(trip.committed - trip.unit_end) * ms:.0f}/{trip.cpu * ms:.0f}"
            for trip in reversed(slowest_units)
        )
    )
    first = min(t.start for t in timings)
    bins: dict[int, list[float]] = {}
    for t in timings:
        bins.setdefault(int(t.start - first), []).append(t.latency)
    lines.append(
        "by second of the run, sent / p50 / max ms: "
        + ", ".join(f"{len(v)}/{median(v) * ms:.0f}/{max(v) * ms:.0f}" for _, v in sorted(bins.items()))
    )
    gens = Counter(p[2] for p in collector.pauses)
    total = {g: sum(p[1] - p[0] for p in collector.pauses if p[2] == g) for g in gens}
    slowest = {g: max(p[1] - p[0] for p in collector.pauses if p[2] == g) for g in gens}
    lines.append(
        "collector during the run: "
        + ", ".join(
            f"gen {g}: {gens[g]} pauses, {total[g] * ms:.0f} ms in all, longest {slowest[g] * ms:.1f} ms"
            for g in sorted(gens)
        )
        if gens
        else "collector during the run: no pause"
    )
    hit = [t for t in slow if collector.within(t.start, t.start + t.latency)]
    hit2 = [t for t in slow if any(p[2] == 2 for p in collector.within(t.start, t.start + t.latency))]
    base = [t for t in typical if collector.within(t.start, t.start + t.latency)]
    lines.append(
        f"the slowest 1 % overlapping a collection: {len(hit)}/{len(slow)} (a full one: {len(hit2)}); "
        f"of the faster half: {len(base)}/{len(typical)}"
    )
    return "\n".join(lines)
