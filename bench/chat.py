"""Issue 9.1: updates per second that one bot process handles end to end, and the floors beside it.

Per database (SQLite file, PostgreSQL) and framework (aiogram, python-telegram-bot), in one run:
- ours, saturated: every user sends their next update as soon as the previous one is answered;
  throughput, and latency per update (JSON bytes parsed, the framework's dispatcher, our core and
  its unit of work, the reply recorded);
- the framework floor: the same updates replayed through the same dispatcher and our transport's
  handler, with a core that does nothing;
- the storage floor: a bare three-statement transaction on the same database with the raw driver;
- ours, paced: the same users at a fixed offered rate (the 1,000/s target, or less if the process
  cannot sustain it), for latency at a load the process carries.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from time import perf_counter

from bench import txn, uow
from bench.common import BENCH_KEYS, NOW, median, percentile
from bench.recorder import NOWHERE, TOKEN, Recorder
from bench.script import FILES, MIXES, BenchUser, first_free_update_id, link_workers, records_filed
from bot.app import GridcareBot, Runtime, build_bot
from bot.config import Settings
from bot.db import Database
from bot.transports.base import Transport
from handlers.events import Incoming
from handlers.render import LOCALES
from models.clock import FrozenClock
from models.crypto import KeyRing

TARGET_RATE = 1_000.0
TARGET_P99_MS = 20.0
FRAMEWORKS = ("aiogram", "ptb")
WARM_USERS = 20


def quiet_transport(framework: str, recorder: Recorder) -> Transport:
    """The real transport class of `framework`, with its network call recorded instead (imported lazily,
    so a process measuring one framework's memory does not load the other)."""
    if framework == "aiogram":
        from bench.quiet_aiogram import QuietAiogram

        return QuietAiogram(recorder)
    from bench.quiet_ptb import QuietPTB

    return QuietPTB(recorder)


def build_quiet_bot(
    url: str, framework: str, recorder: Recorder, *, threads: int | None = None
) -> GridcareBot:
    """The bot as bot.app.build_bot wires it, on `url`, with a frozen clock and a recording transport."""
    settings = Settings(
        database_url=url,
        bot_token=TOKEN,
        api_url=NOWHERE,
        transport=framework,
        secret_key=BENCH_KEYS,
        flood_per_minute=0,  # capacity is measured: 100 scripted users each send far faster than a person
    )
    runtime = Runtime(
        settings=settings,
        db=Database(url, threads=threads),
        keys=KeyRing.parse(BENCH_KEYS),
        clock=FrozenClock(NOW),
    )
    bot = build_bot(runtime, quiet_transport(framework, recorder))
    recorder.failure_texts |= {bot.core.renderer.render(locale, "errors/internal") for locale in LOCALES}
    return bot


async def _nothing(_incoming: Incoming) -> None:
    return None


@dataclass
class Run:
    updates: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


async def _feed(transport: Transport, raw: bytes, latencies: list[float]) -> None:
    start = perf_counter()
    await transport.feed(json.loads(raw))
    latencies.append(perf_counter() - start)


@dataclass
class Lane:
    """One framework on one database: our bot, the same framework with a do-nothing core, the users."""

    backend: str
    framework: str
    bot: GridcareBot
    floor: Transport
    users: list[BenchUser]
    recorder: Recorder
    update_ids: count[int]
    ours: list[Run] = field(default_factory=list)
    floors: list[Run] = field(default_factory=list)
    paced: list[Run] = field(default_factory=list)
    paced_rate: float | None = None

    async def saturated(self, per_user: int, *, only: int | None = None) -> Run:
        """Every user (or the first `only`) sends `per_user` updates, each as soon as the previous one
        was answered."""
        latencies: list[float] = []
        users = self.users[:only]
        for user in users:
            user.sent.clear()

        async def drive(user: BenchUser) -> None:
            for _ in range(per_user):
                _step, raw = user.next_update(self.update_ids, self.recorder)
                await _feed(self.bot.transport, raw, latencies)

        start = perf_counter()
        await asyncio.gather(*(drive(user) for user in users))
        return Run(len(latencies), perf_counter() - start, latencies)

    async def framework_floor(self) -> Run:
        """The updates of the last saturated run again, same concurrency, through the do-nothing core."""
        latencies: list[float] = []

        async def drive(user: BenchUser) -> None:
            for raw in user.sent:
                await _feed(self.floor, raw, latencies)

        start = perf_counter()
        await asyncio.gather(*(drive(user) for user in self.users))
        return Run(len(latencies), perf_counter() - start, latencies)

    async def paced_run(self, rate: float, seconds: float) -> Run:
        """`rate` updates a second offered for about `seconds`, by as many users as that needs for each
        to send whole cycles (so every step weighs as in the mix); a user never sends before the answer
        to their previous update (a person waits for the bot), so an overloaded bot falls behind."""
        cycle = len(self.users[0].cycle)
        users = self.users[: max(1, min(len(self.users), round(rate * seconds / cycle)))]
        per_user = cycle * max(1, math.ceil(rate * seconds / (len(users) * cycle)))
        latencies: list[float] = []
        interval = len(users) / rate
        start = perf_counter()

        async def drive(i: int, user: BenchUser) -> None:
            due = start + i / rate
            for _ in range(per_user):
                delay = due - perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                _step, raw = user.next_update(self.update_ids, self.recorder)
                await _feed(self.bot.transport, raw, latencies)
                due += interval

        await asyncio.gather(*(drive(i, user) for i, user in enumerate(users)))
        return Run(len(latencies), perf_counter() - start, latencies)

    async def close(self) -> None:
        await self.floor.close()
        await self.bot.close()


async def open_lanes(
    url: str,
    backend: str,
    users: int,
    frameworks: tuple[str, ...] = FRAMEWORKS,
    mix: str = "bench",
    *,
    checkpoints: bool = True,
) -> list[Lane]:
    """Both frameworks on one database, sharing the users and what the bot last showed them (the
    dialog state is in the database, so a user's cycle carries on whichever framework is measured);
    the users repeat the cycle `mix` (bench.script.MIXES). SQLite's log is checkpointed by a thread
    of its own, as in the running bot (bot.db.Checkpoints); `checkpoints=False`: by the commits."""
    recorder = Recorder()
    lanes = []
    for framework in frameworks:
        bot = build_quiet_bot(url, framework, recorder)
        await bot.transport.start()  # only the transport: the benchmark feeds updates, nothing runs behind
        if checkpoints:
            bot.runtime.db.start_checkpoints()  # as GridcareBot.start does
        if not lanes:
            user_ids = bot.runtime.db.call(link_workers, users)
            bench_users = [BenchUser(user_id, MIXES[mix]) for user_id in user_ids]
            update_ids = count(bot.runtime.db.call(first_free_update_id))
        floor = quiet_transport(framework, Recorder())
        floor.on_incoming(_nothing)
        await floor.start()
        lanes.append(Lane(backend, framework, bot, floor, bench_users, recorder, update_ids))
    return lanes


@dataclass(frozen=True)
class ChatResult:
    backend: str
    framework: str
    mix: str  # the users' cycle (bench.script.MIXES)
    rate: float  # saturated, updates/s, median of repeats
    p50_ms: float
    p99_ms: float
    floor_rate: float  # framework with a do-nothing core
    floor_ratio: float  # our cost per update / the framework floor's (median of per-repeat ratios)
    storage_rate: float  # bare three-statement transactions/s on the same database
    storage_ratio: float  # our cost per update / one bare transaction's
    paced_rate: float  # offered
    paced_achieved: float
    paced_p50_ms: float
    paced_p99_ms: float
    updates: int  # measured in all saturated runs
    failures: int  # updates answered with the core's internal-error apology
    saves_expected: int  # save presses on this database (both frameworks, warm-up included)
    records_filed: int  # records of the mix's kind the database holds now that it did not before


async def storage_floor(url: str, seconds: float, ids: txn.UpdateIds) -> float:
    """Bare transactions of the same three writes on this database, raw driver, transactions/s."""
    raw = txn.raw_sqlite if url.startswith("sqlite") else txn.raw_psycopg
    unit, close = raw(url, ids)
    try:
        start = perf_counter()
        done = await uow.sync_loop(unit)(seconds)
        return done / (perf_counter() - start)
    finally:
        close()


async def measure_chat(
    urls: dict[str, str],
    *,
    users: int,
    per_user: int,
    repeats: int,
    storage_seconds: float,
    paced_seconds: float,
    frameworks: tuple[str, ...] = FRAMEWORKS,
    mix: str = "bench",
    progress: Callable[[str], None] = lambda _msg: None,
) -> list[ChatResult]:
    """Run the chat benchmark on each database in `urls` (backend name → URL), users repeating `mix`."""
    results: list[ChatResult] = []
    cycle, kind = MIXES[mix], FILES[mix]
    for backend, url in urls.items():
        lanes = await open_lanes(url, backend, users, frameworks, mix)
        try:
            db = lanes[0].bot.runtime.db
            filed_before = db.call(records_filed, kind)
            for i, lane in enumerate(
                lanes
            ):  # warm-up: templates, caches, and (once) every chat's first contact
                await lane.saturated(1, only=1)  # alone first: PTB starts its Application on the first feed
                await lane.saturated(len(cycle), only=None if i == 0 else WARM_USERS)
            storage: list[float] = []
            storage_ids = txn.UpdateIds(start=10**12)  # clear of the chat's update ids
            for repeat in range(repeats):
                progress(f"chat {backend}, {mix} mix: repeat {repeat + 1}/{repeats}")
                for lane in lanes:
                    lane.ours.append(await lane.saturated(per_user))
                    lane.floors.append(await lane.framework_floor())
                storage.append(await storage_floor(url, storage_seconds, storage_ids))
                for lane in lanes:
                    if lane.paced_rate is None:
                        lane.paced_rate = min(TARGET_RATE, 0.7 * lane.ours[0].rate)
                    lane.paced.append(await lane.paced_run(lane.paced_rate, paced_seconds))
            filed = db.call(records_filed, kind) - filed_before
            saves = sum(user.saves for user in lanes[0].users)
            results += [_summary(lane, mix, storage, saves, filed) for lane in lanes]
        finally:
            for lane in lanes:
                await lane.close()
    return results


def _summary(lane: Lane, mix: str, storage: list[float], saves: int, filed: int) -> ChatResult:
    return ChatResult(
        backend=lane.backend,
        framework=lane.framework,
        mix=mix,
        rate=median([r.rate for r in lane.ours]),
        p50_ms=median([r.p(50) for r in lane.ours]),
        p99_ms=median([r.p(99) for r in lane.ours]),
        floor_rate=median([r.rate for r in lane.floors]),
        floor_ratio=median([f.rate / o.rate for o, f in zip(lane.ours, lane.floors, strict=True)]),
        storage_rate=median(storage),
        storage_ratio=median([s / o.rate for o, s in zip(lane.ours, storage, strict=True)]),
        paced_rate=lane.paced_rate or float("nan"),
        paced_achieved=median([r.rate for r in lane.paced]),
        paced_p50_ms=median([r.p(50) for r in lane.paced]),
        paced_p99_ms=median([r.p(99) for r in lane.paced]),
        updates=sum(r.updates for r in lane.ours),
        failures=lane.recorder.failures,
        saves_expected=saves,
        records_filed=filed,
    )
