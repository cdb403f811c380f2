"""Issue 9.4: the outgoing queue against the local Bot API server with Telegram's flood limits on.

A burst of messages (500 to 100 chats at city size) is queued at once and drained by the real
sender (bot.outbox.Sender, default SenderSettings: 30/s, 1/s per chat) through a real client:

- one sender in this process, for aiogram and for python-telegram-bot (`Sender.drain`);
- two sender processes on one PostgreSQL database, one on each client (`python -m bench.outbox
  sender DB API TRANSPORT`, started before the burst is queued and kept across repeats), as two
  `gridcare run` processes share one outbox.

The rate is what Telegram sees: arrivals of accepted sendMessage calls at the server, first to last
((n - 1) / seconds), as a fraction of 30/s. Every burst also counts the 429s the server answered and
checks each message arrived exactly once (duplicates and losses are reported, never hidden).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as daytime
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from bench.common import BENCH_KEYS, NOW, median, table
from bot.app import make_transport
from bot.config import Settings
from bot.db import Database
from bot.outbox import Sender
from bot.send_limits import SenderSettings
from bot.telegram_api import LocalBotApi
from models.clock import FrozenClock, SystemClock
from models.outbox import OutboxMessage, OutboxStatus
from models.outgoing import Send
from models.policy import Policy
from models.services.outbox.queue import enqueue

TOKEN = "123456:bench-token"
LIMIT = 30.0  # Telegram's messages per second for one bot (the local server enforces it)
TARGET_FRACTION = 0.95
ROOT = Path(__file__).resolve().parent.parent
# Not "reminder": reminders wait on rest days, and the two-process run goes by the real clock.
PURPOSE = "bench"
ALWAYS = Policy(quiet_from=daytime(0), quiet_until=daytime(0))  # no quiet hours

Progress = Callable[[str], None]


class TimedBotApi(LocalBotApi):
    """The local Bot API server, also noting when each call arrived and how it was answered."""

    def __init__(self) -> None:
        super().__init__(tokens=[TOKEN])  # flood limits on: 30/s per bot, 1/s per chat
        self.arrivals: list[tuple[float, str, int]] = []  # (monotonic time, method, HTTP status)

    async def _handle_api(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        response = await super()._handle_api(request)
        self.arrivals.append((arrived, request.match_info["method"].lower(), response.status))
        return response


@dataclass
class Burst:
    """One burst drained: the rate Telegram saw, 429s, and whether each message arrived once."""

    messages: int
    rate: float  # accepted sends per second, first to last arrival
    count_429: int
    duplicates: int  # extra copies that arrived
    lost: int  # messages that never arrived
    dead: int  # rows the sender gave up on
    shares: dict[str, int]  # rows sent by each sender


@dataclass
class OutboxResult:
    backend: str
    senders: str  # "aiogram", "ptb", or "2 processes: aiogram + ptb"
    chats: int
    bursts: list[Burst]

    @property
    def rate(self) -> float:
        return median([b.rate for b in self.bursts])

    @property
    def fraction(self) -> float:
        return self.rate / LIMIT

    def total(self, what: str) -> int:
        return sum(getattr(b, what) for b in self.bursts)


def _queue(db: Database, run: str, chats: range, per_chat: int, now: datetime) -> list[str]:
    """Queue `per_chat` numbered messages to each chat in one transaction; their texts (= keys)."""
    keys = []
    with db.unit_of_work() as session:
        for n in range(per_chat):
            for chat in chats:
                key = f"{run}-{chat}-{n}"
                enqueue(session, message=Send(chat, key), purpose=PURPOSE, dedupe_key=key, now=now)
                keys.append(key)
    return keys


def _settled(db: Database, run: str) -> bool:
    """Every row of the burst sent or dead."""
    with db.unit_of_work() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.dedupe_key.like(f"{run}-%"),
                OutboxMessage.status.in_((OutboxStatus.pending, OutboxStatus.sending)),
            )
        )
    return not waiting


def _burst(
    db: Database,
    api: TimedBotApi,
    run: str,
    keys: list[str],
    chats: range,
    since: int,
    before_429: int,
    owners: dict[str, str],
) -> Burst:
    """What arrived of one burst (the server's arrivals from index `since` on)."""
    accepted = [t for t, method, status in api.arrivals[since:] if method == "sendmessage" and status == 200]
    seconds = accepted[-1] - accepted[0] if len(accepted) > 1 else float("nan")
    arrived = Counter(m.text for chat in chats for m in api.transcript(chat))
    with db.unit_of_work() as session:
        rows = session.execute(
            select(OutboxMessage.claimed_by, OutboxMessage.status).where(
                OutboxMessage.dedupe_key.like(f"{run}-%")
            )
        ).all()
    shares = Counter(_owner(claimed_by, owners) for claimed_by, status in rows if status == OutboxStatus.sent)
    return Burst(
        messages=len(keys),
        rate=(len(accepted) - 1) / seconds if seconds == seconds and seconds > 0 else float("nan"),
        count_429=api.count_429 - before_429,
        duplicates=sum(n - 1 for n in arrived.values() if n > 1),
        lost=len(set(keys) - set(arrived)),
        dead=sum(1 for _, status in rows if status == OutboxStatus.dead),
        shares=dict(shares),
    )


def _owner(claimed_by: str | None, owners: dict[str, str]) -> str:
    """The sender's name from its claim (`host-pid-random`): which of our processes it was."""
    if claimed_by is None:
        return "?"
    return next((name for pid, name in owners.items() if f"-{pid}-" in claimed_by), claimed_by)


def _settings(url: str, api_url: str, transport: str) -> Settings:
    return Settings(
        database_url=url, bot_token=TOKEN, api_url=api_url, transport=transport, secret_key=BENCH_KEYS
    )


async def one_sender(url: str, framework: str, *, messages: int, chats: int, repeats: int) -> OutboxResult:
    """One sender in this process drains each burst (`Sender.drain`), as `gridcare run` would."""
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    db = Database(url)
    api = TimedBotApi()
    await api.start()
    client = make_transport(_settings(url, api.base_url, framework))
    await client.start()
    per_chat = max(1, messages // chats)
    bursts = []
    # One sender for every burst, as a running bot has: its send window remembers the last second
    # of the burst before (a fresh one per burst started the next burst blind to it: 429s).
    sender = Sender(db, client, clock=FrozenClock(NOW), policy=Policy(), settings=SenderSettings())
    try:
        for n in range(repeats):
            run, targets = f"{framework}{n}", range(1_000_000 + n * chats, 1_000_000 + (n + 1) * chats)
            keys = _queue(db, run, targets, per_chat, NOW)
            since, before = len(api.arrivals), api.count_429
            await sender.drain(timeout=len(keys) / LIMIT * 3 + 30)
            bursts.append(_burst(db, api, run, keys, targets, since, before, {str(os.getpid()): framework}))
    finally:
        await client.close()
        await api.stop()
        db.dispose()
    return OutboxResult("sqlite" if db.is_sqlite else "postgresql", framework, chats, bursts)


async def two_processes(
    url: str, *, messages: int, chats: int, repeats: int, frameworks: tuple[str, str] = ("aiogram", "ptb")
) -> OutboxResult:
    """Two sender processes share one outbox, each burst queued while both wait (PostgreSQL is what
    several processes are deployed on; SQLite's single writer serves them too, for the smoke test)."""
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    db = Database(url)
    api = TimedBotApi()
    await api.start()
    per_chat = max(1, messages // chats)
    bursts: list[Burst] = []
    children: list[asyncio.subprocess.Process] = []
    with tempfile.TemporaryFile() as errors:
        try:
            for framework in frameworks:
                children.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "bench.outbox",
                        "sender",
                        url,
                        api.base_url,
                        framework,
                        cwd=ROOT,
                        env=env,
                        stdout=asyncio.subprocess.PIPE,
                        stderr=errors,
                    )
                )
            for child in children:
                await _ready(child, errors)
            names = [f if frameworks.count(f) == 1 else f"{f}{i + 1}" for i, f in enumerate(frameworks)]
            owners = {str(c.pid): name for c, name in zip(children, names, strict=True)}
            for n in range(repeats):
                run = f"two{n}"
                targets = range(2_000_000 + n * chats, 2_000_000 + (n + 1) * chats)
                since, before = len(api.arrivals), api.count_429
                keys = _queue(db, run, targets, per_chat, datetime.now(UTC))
                await _until(lambda run=run: _settled(db, run), timeout=len(keys) / LIMIT * 3 + 60)
                bursts.append(_burst(db, api, run, keys, targets, since, before, owners))
        finally:
            for child in children:
                if child.returncode is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                await child.wait()
            await api.stop()
            db.dispose()
    backend = "sqlite" if db.is_sqlite else "postgresql"
    return OutboxResult(backend, "2 processes: " + " + ".join(frameworks), chats, bursts)


async def _ready(child: asyncio.subprocess.Process, errors: Any) -> None:
    assert child.stdout is not None
    line = await asyncio.wait_for(child.stdout.readline(), timeout=180)
    if line.strip() != b"ready":
        errors.seek(0)
        raise RuntimeError(f"a sender process did not start:\n{errors.read().decode()[-3000:]}")


async def _until(predicate: Callable[[], bool], timeout: float) -> None:
    """Look again every 0.1 s until predicate() holds (the senders run in other processes)."""
    async with asyncio.timeout(timeout):
        while not await asyncio.to_thread(predicate):
            await asyncio.sleep(0.1)


async def measure_outbox(
    urls: dict[str, str], *, messages: int, chats: int, repeats: int, progress: Progress | None = None
) -> list[OutboxResult]:
    """One sender per client on SQLite; two sender processes on PostgreSQL (each on a fresh database)."""
    note = progress or (lambda _text: None)
    results = []
    if "sqlite" in urls:
        for framework in ("aiogram", "ptb"):
            note(f"outbox: {repeats} × {messages} messages to {chats} chats, one {framework} sender")
            results.append(
                await one_sender(urls["sqlite"], framework, messages=messages, chats=chats, repeats=repeats)
            )
    if "postgresql" in urls:
        note(f"outbox: {repeats} × {messages} messages to {chats} chats, two sender processes")
        results.append(
            await two_processes(urls["postgresql"], messages=messages, chats=chats, repeats=repeats)
        )
    return results


HEADERS = (
    "database",
    "senders",
    "messages × runs",
    "msg/s (median)",
    "fraction of 30/s",
    "min–max msg/s",
    "429s",
    "duplicates",
    "lost",
    "dead",
    "sent by each (last run)",
)


def as_row(r: OutboxResult) -> list[Any]:
    rates = [b.rate for b in r.bursts]
    last = r.bursts[-1].shares if r.bursts else {}
    return [
        r.backend,
        r.senders,
        f"{r.bursts[0].messages if r.bursts else 0} × {len(r.bursts)}",
        r.rate,
        f"{r.fraction:.3f}",
        f"{min(rates):.2f}–{max(rates):.2f}" if rates else "–",
        r.total("count_429"),
        r.total("duplicates"),
        r.total("lost"),
        r.total("dead"),
        ", ".join(f"{name} {n}" for name, n in sorted(last.items())),
    ]


def checks(r: OutboxResult) -> list[str]:
    met = r.fraction >= TARGET_FRACTION and r.total("count_429") == 0
    once = r.total("duplicates") == 0 and r.total("lost") == 0
    return [
        f"outbox/{r.backend}/{r.senders}: {r.rate:.2f} msg/s = {r.fraction:.3f} of 30/s, "
        f"{r.total('count_429')} × 429: {'meets' if met else 'MISSES'} the target (≥ {TARGET_FRACTION} "
        f"with no 429); {'each message exactly once' if once else 'NOT each message exactly once'}"
    ]


# -- a sender process of its own -----------------------------------------------------------------


async def sender_process(url: str, api_url: str, transport: str) -> None:
    """A bot process's sender (real time, no quiet hours) until SIGTERM; prints `ready` once running."""
    from bench.common import LogTally

    LogTally().install()
    database = Database(url)
    client = make_transport(_settings(url, api_url, transport))
    await client.start()
    sender = Sender(
        database, client, clock=SystemClock(), policy=ALWAYS, settings=SenderSettings(poll_interval=0.05)
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await sender.start()
    print("ready", flush=True)
    await stop.wait()
    await sender.stop()
    await client.close()
    database.dispose()


# -- issue 15: a long history of sent rows, before and after the index and the pruning ------------

HISTORY = 200_000  # sent rows, 40 days old
HISTORY_CHATS = 20  # 10,000 each
LOOKUP_REPEATS = 15


def _old_first_of_chat(row: Any, now: datetime, hold: Any) -> Any:
    """The claim's per-chat check as it was before issue 15: no status term, so the lookup seeks
    by chat only and reads every row ever queued for the chat."""
    from sqlalchemy import and_, exists, false, or_, true
    from sqlalchemy.orm import aliased

    from models.services.outbox import claims

    older, flying = aliased(OutboxMessage), aliased(OutboxMessage)
    retrying = and_(older.status == OutboxStatus.pending, older.attempts > 0)
    return and_(
        ~exists().where(
            older.chat_id == row.chat_id,
            older.id < row.id,
            or_(older.urgent == true(), row.urgent == false()),
            or_(claims._eligible(older, now, hold), retrying),
        ),
        ~exists().where(
            flying.chat_id == row.chat_id,
            flying.status == OutboxStatus.sending,
            flying.locked_until > now,
        ),
    )


def _fill_history(url: str) -> None:
    from sqlalchemy import insert

    old = NOW - timedelta(days=40)
    database = Database(url)
    with database.unit_of_work() as s:
        for start in range(0, HISTORY, 10_000):
            s.execute(
                insert(OutboxMessage),
                [
                    {
                        "chat_id": 1 + i % HISTORY_CHATS,
                        "purpose": "reminder",
                        "payload": {"kind": "send", "text": "x" * 80, "buttons": []},
                        "dedupe_key": f"history:{i}",
                        "urgent": False,
                        "status": OutboxStatus.sent,
                        "available_at": old,
                        "attempts": 1,
                        "created_at": old,
                        "sent_at": old,
                        "message_id": i,
                    }
                    for i in range(start, min(start + 10_000, HISTORY))
                ],
            )
        for chat in range(1, HISTORY_CHATS + 1):  # one message due in each chat
            enqueue(s, message=Send(chat, "due"), purpose=PURPOSE, dedupe_key=f"due:{chat}", now=NOW)
    database.dispose()


def _as_before_issue_15(url: str) -> None:
    """The indexes of migration 0016: ix_outbox_chat on (chat_id, status), no ix_outbox_sent."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_outbox_chat"))
        conn.execute(text("DROP INDEX ix_outbox_sent"))
        conn.execute(text("CREATE INDEX ix_outbox_chat ON outbox (chat_id, status)"))
    engine.dispose()


def _statistics(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _time_lookups(url: str) -> dict[str, float]:
    """Median milliseconds of the claim's query (which rows may go now) and hygiene's query."""
    from models.services.hygiene import queue_deletions
    from models.services.outbox.claims import _due_query

    database = Database(url)
    timings: dict[str, list[float]] = {"claim": [], "hygiene": []}
    for i in range(LOOKUP_REPEATS + 2):
        with database.unit_of_work() as s:
            t0 = time.perf_counter()
            picked = s.execute(
                _due_query(s, now=NOW, policy=ALWAYS, form_hold=timedelta(minutes=10), wall=None, limit=50)
            ).all()
            t1 = time.perf_counter()
            queue_deletions(s, now=NOW, after=timedelta(hours=1))
            t2 = time.perf_counter()
            s.rollback()
        assert len(picked) == HISTORY_CHATS, len(picked)
        if i >= 2:  # two warm-ups
            timings["claim"].append((t1 - t0) * 1000)
            timings["hygiene"].append((t2 - t1) * 1000)
    database.dispose()
    return {name: median(values) for name, values in timings.items()}


def lookup_bench(postgres: str | None) -> str:
    """Before (0016's indexes and claim query, no pruning), the index alone, and index + pruning."""
    from unittest import mock

    from bench.common import scratch_postgres, scratch_sqlite
    from models.services.outbox import claims
    from models.services.outbox.prune import prune_outbox

    scratches = [("SQLite", scratch_sqlite)] + (
        [("PostgreSQL", lambda: scratch_postgres(postgres))] if postgres else []
    )
    rows = []
    for name, scratch in scratches:
        with scratch() as url:
            _fill_history(url)
            _as_before_issue_15(url)
            _statistics(url)
            with mock.patch.object(claims, "_first_of_chat", _old_first_of_chat):
                before = _time_lookups(url)
        with scratch() as url:
            _fill_history(url)
            _statistics(url)
            indexed = _time_lookups(url)
            database = Database(url)
            t0 = time.perf_counter()
            gone = 0
            while True:  # the nightly runs, one after another
                with database.unit_of_work() as s:
                    step = prune_outbox(s, now=NOW, retention=timedelta(days=30), policy=ALWAYS)
                gone += step
                if step == 0:
                    break
            prune_s = time.perf_counter() - t0
            database.dispose()
            _statistics(url)
            pruned = _time_lookups(url)
        for query in ("claim", "hygiene"):
            rows.append((name, query, before[query], indexed[query], pruned[query]))
        rows.append((name, f"pruning {gone:,} rows (s)", "", "", prune_s))
    return table(
        [
            "database",
            "lookup (median ms)",
            f"before: 0016, {HISTORY:,} sent",
            f"index, {HISTORY:,} sent",
            "index + pruned",
        ],
        rows,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox")
    sub = parser.add_subparsers(dest="mode", required=True)
    one = sub.add_parser("sender", help="one sender process (the two-process benchmark starts these)")
    one.add_argument("url")
    one.add_argument("api_url")
    one.add_argument("transport", choices=("aiogram", "ptb"))
    lookup = sub.add_parser("lookup", help="issue 15: the claim's per-chat lookup over 200,000 sent rows")
    lookup.add_argument("--postgres", default=None, help="also on this PostgreSQL server")
    args = parser.parse_args(argv)
    if args.mode == "lookup":
        print(lookup_bench(args.postgres))
        return
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    asyncio.run(sender_process(args.url, args.api_url, args.transport))


if __name__ == "__main__":
    main()
