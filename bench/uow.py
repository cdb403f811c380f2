"""Issue 2's choice, measured: one three-statement transaction per update, through each way of reaching
the database (raw driver, SQLAlchemy in-thread, our Database.run, SQLAlchemy asyncio).

Every variant runs for a fixed time, the variants take turns within each repeat, and the ratio to
our choice is taken within the repeat (then the median over repeats), so drift of a shared machine
touches all variants alike.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from time import perf_counter

from bench import txn
from bench.common import median
from bot.db import Database

Measure = Callable[[float], Awaitable[int]]  # seconds -> transactions done in (about) that time


@dataclass
class Variant:
    backend: str
    name: str
    measure: Measure
    reference: bool = False
    rates: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class UowResult:
    backend: str
    name: str
    median_tps: float
    min_tps: float
    max_tps: float
    ratio: float  # to our choice on the same backend, median of per-repeat ratios
    reference: bool


async def _timed(measure: Measure, seconds: float) -> float:
    start = perf_counter()
    done = await measure(seconds)
    return done / (perf_counter() - start)


def sync_loop(unit: Callable[[], object]) -> Measure:
    """Back-to-back transactions in this thread."""

    async def measure(seconds: float) -> int:
        done, end = 0, perf_counter() + seconds
        while perf_counter() < end:
            unit()
            done += 1
        return done

    return measure


def async_loop(unit: Callable[[], Awaitable[object]], in_flight: int = 1) -> Measure:
    """`in_flight` lanes, each awaiting one transaction after another."""

    async def measure(seconds: float) -> int:
        end = perf_counter() + seconds

        async def lane() -> int:
            done = 0
            while perf_counter() < end:
                await unit()
                done += 1
            return done

        return sum(await asyncio.gather(*(lane() for _ in range(in_flight))))

    return measure


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class Suite:
    """Builds the variants for the given databases and closes what they opened."""

    def __init__(self) -> None:
        self.variants: list[Variant] = []
        self.skipped: list[str] = []
        self._closers: list[Callable[[], object]] = []
        self.ids = txn.UpdateIds()

    def sqlite(self, url: str) -> None:
        unit, close = txn.raw_sqlite(url, self.ids)
        self._closers.append(close)
        self._add("sqlite", "raw sqlite3 (floor)", sync_loop(unit))
        db = self._db(url)
        sa = txn.sa_unit(db, self.ids)
        self._add("sqlite", "SQLAlchemy sync, in the event-loop thread", sync_loop(lambda: db.call(sa)))
        self._add("sqlite", "our choice: Database.run, 1 db thread", async_loop(lambda: db.run(sa)), ref=True)
        services = txn.services_unit(self.ids)
        self._add(
            "sqlite", "our choice, writes as the services issue them", async_loop(lambda: db.run(services))
        )
        if has("aiosqlite") and has("greenlet"):
            aunit, aclose = txn.async_sa(url, self.ids)
            self._closers.append(aclose)
            self._add("sqlite", "SQLAlchemy asyncio + aiosqlite", async_loop(aunit))
        else:
            self.skipped.append("SQLAlchemy asyncio + aiosqlite: aiosqlite/greenlet not installed")

    def postgres(self, url: str) -> None:
        unit, close = txn.raw_psycopg(url, self.ids)
        self._closers.append(close)
        self._add("postgresql", "raw psycopg, sync (floor)", sync_loop(unit))
        one, four, sixteen = self._db(url, 1), self._db(url, 4), self._db(url, 16)
        sa = txn.sa_unit(four, self.ids)
        self._add("postgresql", "SQLAlchemy sync, in the event-loop thread", sync_loop(lambda: four.call(sa)))
        self._add("postgresql", "our choice, 1 db thread, sequential", async_loop(lambda: one.run(sa)))
        self._add(
            "postgresql", "our choice, 4 db threads, sequential", async_loop(lambda: four.run(sa)), ref=True
        )
        self._add(
            "postgresql", "our choice, 4 db threads, 16 in flight", async_loop(lambda: four.run(sa), 16)
        )
        self._add(
            "postgresql", "our choice, 16 db threads, 16 in flight", async_loop(lambda: sixteen.run(sa), 16)
        )
        services = txn.services_unit(self.ids)
        self._add(
            "postgresql",
            "our choice (4 threads), writes as the services issue them",
            async_loop(lambda: four.run(services)),
        )
        if has("asyncpg") and has("greenlet"):
            aunit, aclose = txn.async_sa(url, self.ids)
            self._closers.append(aclose)
            self._add("postgresql", "SQLAlchemy asyncio + asyncpg, sequential", async_loop(aunit))
            self._add("postgresql", "SQLAlchemy asyncio + asyncpg, 16 in flight", async_loop(aunit, 16))
        else:
            self.skipped.append("SQLAlchemy asyncio + asyncpg: asyncpg/greenlet not installed")

    def _db(self, url: str, threads: int | None = None) -> Database:
        db = Database(url, threads=threads)
        self._closers.append(db.dispose)
        return db

    def _add(self, backend: str, name: str, measure: Measure, *, ref: bool = False) -> None:
        self.variants.append(Variant(backend, name, measure, reference=ref))

    async def run(self, *, seconds: float, repeats: int) -> list[UowResult]:
        for variant in self.variants:  # warm: connections, statement caches, prepared statements
            await variant.measure(min(0.2, seconds))
        for _ in range(repeats):
            for variant in self.variants:
                variant.rates.append(await _timed(variant.measure, seconds))
            for variant in self.variants:
                ref = next(v for v in self.variants if v.backend == variant.backend and v.reference)
                variant.ratios.append(variant.rates[-1] / ref.rates[-1])
        return [
            UowResult(
                v.backend, v.name, median(v.rates), min(v.rates), max(v.rates), median(v.ratios), v.reference
            )
            for v in self.variants
        ]

    async def close(self) -> None:
        for close in reversed(self._closers):
            result = close()
            if asyncio.iscoroutine(result):
                await result


async def measure_uow(
    sqlite_url: str, postgres_url: str | None, *, seconds: float, repeats: int
) -> tuple[list[UowResult], list[str]]:
    """Transactions per second of each variant (medians), and the variants that could not run."""
    suite = Suite()
    try:
        suite.sqlite(sqlite_url)
        if postgres_url is not None:
            suite.postgres(postgres_url)
        return await suite.run(seconds=seconds, repeats=repeats), suite.skipped
    finally:
        await suite.close()
