"""`python -m bench`: the benchmark suite at city size (a few minutes); `--size country` for the big one.

`--sizes city,province` runs the sweep and digest suites at several sizes in one invocation (each
on a demo city of its own), so their growth with the number of persons shows side by side.

Prints the machine, each benchmark's table and a summary against the targets; `--json FILE` keeps
the raw figures. Everything runs on scratch databases (a SQLite file in a temporary folder, a
database of its own on the PostgreSQL server) that are removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib.util
import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from time import perf_counter
from typing import Any

from bench import digest, memory, outbox, sweep
from bench.chat import TARGET_P99_MS, TARGET_RATE, ChatResult, measure_chat
from bench.common import (
    DEFAULT_POSTGRES,
    SIZES,
    LogTally,
    Size,
    load_average,
    machine,
    postgres_version,
    scratch_postgres,
    scratch_sqlite,
    table,
)
from bench.script import FILES, MIXES
from bench.uow import measure_uow

SUITES = ("memory", "uow", "chat", "sweep", "digest", "outbox")
CHAT_HEADERS = (
    "database",
    "framework",
    "updates/s",
    "p50 ms",
    "p99 ms",
    "framework floor/s",
    "cost vs floor",
    "bare txn/s",
    "cost vs txn",
    "paced: done/offered per s",
    "paced p50 ms",
    "paced p99 ms",
)


def as_rows(results: list[ChatResult]) -> list[list[Any]]:
    return [
        [
            r.backend,
            r.framework,
            r.rate,
            r.p50_ms,
            r.p99_ms,
            r.floor_rate,
            f"{r.floor_ratio:.1f}×",
            r.storage_rate,
            f"{r.storage_ratio:.1f}×",
            f"{r.paced_achieved:,.0f}/{r.paced_rate:,.0f}",
            r.paced_p50_ms,
            r.paced_p99_ms,
        ]
        for r in results
    ]


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=list(SIZES), default="city")
    parser.add_argument("--only", default=",".join(SUITES), help=f"comma-separated subset of {SUITES}")
    parser.add_argument(
        "--sizes", help="comma-separated sizes for the sweep and digest suites (default: --size)"
    )
    parser.add_argument("--repeats", type=int, help="runs per figure (default: the size's)")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL; a scratch database is made")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--mix",
        choices=list(MIXES),
        default="bench",
        help="the chat's cycle: bench (/my, a note, /whoami, /lang) or visit (/my, card, visit, /today)",
    )
    parser.add_argument("--profile", action="store_true", help="also profile the chat on SQLite (cProfile)")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    return parser.parse_args(argv)


class Report:
    """Sections printed as they finish, and the raw figures for --json."""

    def __init__(self) -> None:
        self.raw: dict[str, Any] = {}
        self.started = perf_counter()
        self.targets: list[str] = []  # one line per figure that answers a target, for the summary

    def section(self, title: str, body: str) -> None:
        print(f"\n## {title}\n\n{body}", flush=True)

    def note(self, text: str) -> None:
        print(f"  … {text} ({perf_counter() - self.started:.0f} s)", file=sys.stderr, flush=True)


def _memory_city(report: Report, size: Size, urls: dict[str, str], *, obligations: bool) -> None:
    rows, raw = [], {}
    for backend, url in urls.items():
        gen = _generate_one(report, size, backend, url)
        rows.append(
            [
                backend,
                f"generate_demo_city({size.persons:,})",
                gen["seconds"],
                gen["rss_before_mb"],
                gen["peak_mb"],
            ]
        )
        raw[f"generate/{backend}"] = gen
        if obligations and size.naive_obligations:
            report.note(f"obligation_rows over the whole city on {backend}")
            obl = memory.measure("obligations", url)
            rows.append(
                [
                    backend,
                    f"obligation_rows, whole city ({obl['rows']:,} rows)",
                    obl["seconds"],
                    obl["rss_before_mb"],
                    obl["peak_mb"],
                ]
            )
            raw[f"obligations/{backend}"] = obl
    report.raw["memory_city"] = raw
    report.section(
        f"Memory and time: the {size.name}",
        table(["database", "what", "seconds", "RSS before MB", "peak RSS MB"], rows)
        + (
            ""
            if size.naive_obligations
            else "\n(obligation_rows skipped at this size: the per-person version would take hours)"
        ),
    )


def _memory_idle(report: Report, size: Size, url: str) -> None:
    rows, raw = [], {}
    users = str(min(20, size.chat_users))
    for framework in ("aiogram", "ptb"):
        report.note(f"idle bot memory ({framework})")
        idle = memory.measure("idle", url, "--framework", framework, "--users", users, "--per-user", "8")
        rows.append([framework, idle["built_mb"], idle["after_updates_mb"], idle["updates"]])
        raw[framework] = idle
    steps = memory.measure("imports")["steps"]
    raw["imports"] = steps
    report.raw["memory_idle"] = raw
    added = [[label, mb - (steps[i - 1][1] if i else 0), mb] for i, (label, mb) in enumerate(steps)]
    report.section(
        "Memory: one bot process (SQLite, fresh process each)",
        table(["framework", "built, idle MB", "after updates MB", "updates handled"], rows)
        + "\n\nWhat the imports weigh (one fresh process, in load order):\n\n"
        + table(["imported", "adds MB", "RSS MB"], added),
    )


async def _uow(report: Report, size: Size, repeats: int, postgres: str | None) -> None:
    report.note("unit of work: each variant in turn")
    with ExitStack() as stack:
        sqlite_url = stack.enter_context(scratch_sqlite(name="uow.db"))
        pg_url = stack.enter_context(scratch_postgres(postgres)) if postgres else None
        results, skipped = await measure_uow(sqlite_url, pg_url, seconds=size.uow_seconds, repeats=repeats)
    report.raw["uow"] = [dataclasses.asdict(r) for r in results]
    rows = [[r.backend, r.name, r.median_tps, r.min_tps, r.max_tps, f"{r.ratio:.2f}×"] for r in results]
    body = table(["database", "how", "txn/s (median)", "min", "max", "vs our choice"], rows)
    if skipped:
        body += "\nnot measured: " + "; ".join(skipped)
    report.section(
        f"Unit of work: one 3-statement transaction ({repeats} × {size.uow_seconds:g} s each)", body
    )


async def _chat(report: Report, size: Size, repeats: int, urls: dict[str, str], mix: str) -> None:
    cycle = len(MIXES[mix])
    per_user = cycle * max(1, round(size.chat_per_user / cycle))  # whole cycles: steps weigh as in the mix
    results = await measure_chat(
        urls,
        users=size.chat_users,
        per_user=per_user,
        repeats=repeats,
        storage_seconds=size.uow_seconds,
        paced_seconds=size.paced_seconds,
        mix=mix,
        progress=report.note,
    )
    report.raw["chat"] = [dataclasses.asdict(r) for r in results]
    body = table(CHAT_HEADERS, as_rows(results))
    checks = []
    for r in results:
        met = r.rate >= TARGET_RATE and r.paced_p99_ms < TARGET_P99_MS and r.paced_rate >= TARGET_RATE
        checks.append(
            f"{r.backend}/{r.framework}: {'meets' if met else 'MISSES'} the target "
            f"(≥ {TARGET_RATE:,.0f} updates/s, p99 < {TARGET_P99_MS:g} ms at that rate); "
            f"{r.failures} updates failed; "
            f"{FILES[mix].value} records saved {r.records_filed}/{r.saves_expected}"
        )
    report.targets += checks
    report.section(
        f"Chat throughput, {mix} mix: {size.chat_users} users × {per_user} updates per run, {repeats} runs",
        body + f"\n\nload (1/5/15 min) after: {load_average()}\n" + "\n".join(checks),
    )


def _generate(report: Report, size: Size, urls: dict[str, str]) -> None:
    """The demo city of this size on each database."""
    for backend, url in urls.items():
        report.raw.setdefault("generate", {})[f"{size.name}/{backend}"] = _generate_one(
            report, size, backend, url
        )


def _generate_one(report: Report, size: Size, backend: str, url: str) -> dict[str, Any]:
    """The demo city of this size on one database, in a child process (its time and memory)."""
    report.note(f"generating the {size.name} ({size.persons:,} persons) on {backend}")
    args = [url, "--persons", str(size.persons)]
    args += ["--workers", str(size.workers)] if size.workers else []
    args += ["--supervisors", str(size.supervisors)] if size.supervisors else []
    return memory.measure("generate", *args)


async def _sweep(report: Report, size: Size, repeats: int, urls: dict[str, str]) -> list[sweep.SweepResult]:
    results = []
    for backend, url in urls.items():
        report.note(f"sweep at {size.name} size on {backend} (a process of its own) ×{repeats}")
        results.append(await asyncio.to_thread(sweep.measure, url, repeats=repeats, backend=backend))
    report.raw.setdefault("sweep", {})[size.name] = [dataclasses.asdict(r) for r in results]
    lines = [line for r in results for line in sweep.checks(r, size.name)]
    report.targets += lines
    report.section(
        f"Obligation sweep: the {size.name} ({size.persons:,} persons), median of {repeats}",
        table(sweep.HEADERS, [sweep.as_row(r) for r in results])
        + f"\n\nload (1/5/15 min) after: {load_average()}"
        + ("\n" + "\n".join(lines) if lines else ""),
    )
    return results


async def _digest(report: Report, size: Size, repeats: int, urls: dict[str, str]) -> None:
    results = []
    for backend, url in urls.items():
        results.append(await digest.run(url, repeats=repeats, backend=backend, progress=report.note))
    report.raw.setdefault("digest", {})[size.name] = [
        dataclasses.asdict(r) | {"projected_s": r.projected_s, "per_million_s": r.per_million_s}
        for r in results
    ]
    lines = [line for r in results for line in digest.checks(r, size.name)]
    report.targets += lines
    report.section(
        f"Digests: the {size.name} ({size.persons:,} persons), median of {repeats}",
        table(digest.HEADERS, [digest.as_row(r) for r in results])
        + f"\n\nload (1/5/15 min) after: {load_average()}\n"
        + "\n".join(lines),
    )


def _growth(report: Report, found: list[tuple[Size, sweep.SweepResult]]) -> None:
    """The sweep at several sizes side by side: seconds per 10,000 persons stay flat if it is linear."""
    rows = [
        [
            s.name,
            r.backend,
            r.persons,
            r.rows_s,
            r.per_10k(r.rows_s),
            r.morning_s,
            r.per_10k(r.morning_s),
            r.peak_mb,
            r.rows_peak_mb,
        ]
        for s, r in sorted(found, key=lambda f: (f[1].backend, f[1].persons))
    ]
    headers = [
        "size",
        "database",
        "persons",
        "rows s",
        "rows s /10k",
        "morning job s",
        "morning s /10k",
        "peak MB: sweep and mornings",
        "peak MB: all rows at once",
    ]
    report.section("Obligation sweep: growth with persons", table(headers, rows))


async def _scales(
    report: Report, sizes: list[Size], args: argparse.Namespace, urls: dict[str, str], postgres: str | None
) -> None:
    """The sweep and digest suites at each size; the main size uses the suite's city, others their own."""
    suites, found = _suites(args), []
    for size in sizes:
        repeats = args.repeats or size.repeats
        with ExitStack() as stack:
            here = urls
            if size.name != args.size:
                here = {"sqlite": stack.enter_context(scratch_sqlite(name=f"{size.name}.db"))}
                if postgres:
                    here["postgresql"] = stack.enter_context(scratch_postgres(postgres))
            if size.name != args.size or not suites & {"memory", "chat"}:
                _generate(report, size, here)
            if "sweep" in suites:
                found += [(size, r) for r in await _sweep(report, size, repeats, here)]
            if "digest" in suites:
                await _digest(report, size, repeats, here)
    if len({s.name for s, _ in found}) > 1:
        _growth(report, found)


async def _outbox(report: Report, size: Size, repeats: int, postgres: str | None) -> None:
    """The sender on fresh databases (an outbox holding only the burst)."""
    with ExitStack() as stack:
        urls = {"sqlite": stack.enter_context(scratch_sqlite(name="outbox.db"))}
        if postgres:
            urls["postgresql"] = stack.enter_context(scratch_postgres(postgres))
        results = await outbox.measure_outbox(
            urls,
            messages=size.outbox_messages,
            chats=size.outbox_chats,
            repeats=repeats,
            progress=report.note,
        )
    report.raw["outbox"] = [dataclasses.asdict(r) | {"rate": r.rate, "fraction": r.fraction} for r in results]
    lines = [line for r in results for line in outbox.checks(r)]
    report.targets += lines
    report.section(
        f"Outgoing queue: {size.outbox_messages} messages to {size.outbox_chats} chats, flood limits on, "
        f"{repeats} runs",
        table(outbox.HEADERS, [outbox.as_row(r) for r in results])
        + f"\n\nload (1/5/15 min) after: {load_average()}\n"
        + "\n".join(lines),
    )


def _suites(args: argparse.Namespace) -> set[str]:
    suites = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = suites - set(SUITES)
    if unknown:
        raise SystemExit(f"unknown suite(s) {', '.join(sorted(unknown))}; choose from {', '.join(SUITES)}")
    return suites


def _sizes(args: argparse.Namespace) -> list[Size]:
    names = [n.strip() for n in (args.sizes or args.size).split(",") if n.strip()]
    unknown = [n for n in names if n not in SIZES]
    if unknown:
        raise SystemExit(f"unknown size(s) {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    return [SIZES[n] for n in names]


async def _taps(report: Report) -> None:
    """The taps-per-report table, if bench/taps.py (another engineer's) offers `report() -> str`."""
    if importlib.util.find_spec("bench.taps") is None:
        return
    from bench import taps  # type: ignore[attr-defined,unused-ignore]

    fn = getattr(taps, "report", None)
    if callable(fn):
        report.note("taps per report kind")
        # In a thread of its own: it runs its own event loop (asyncio.run).
        report.section("Taps per report kind", str(await asyncio.to_thread(fn)))


async def _profile(report: Report, size: Size, url: str, mix: str) -> None:
    from bench.profile import profile_chat

    report.note(f"profiling the chat (aiogram, SQLite, {mix} mix)")
    users = min(size.chat_users, 100)
    text = await profile_chat(url, "aiogram", users=users, per_user=size.chat_per_user, mix=mix)
    report.section(f"Profile: chat on SQLite, aiogram, {mix} mix (both threads)", "```\n" + text + "\n```")


async def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # as the tests run PTB: durations as timedelta
    size = SIZES[args.size]
    repeats = args.repeats or size.repeats
    suites = _suites(args)
    sizes = _sizes(args)
    logs = LogTally().install()
    report = Report()
    info = machine()
    pg_version = None if args.no_postgres else postgres_version(args.postgres)
    info["postgresql"] = pg_version or "not measured"
    info["load at start (1/5/15 min)"] = load_average()
    report.raw["machine"] = info
    report.section(
        f"Gridcare benchmarks: {size.name} size", "\n".join(f"- {k}: {v}" for k, v in info.items())
    )
    postgres = args.postgres if pg_version else None
    with ExitStack() as stack:
        urls = {"sqlite": stack.enter_context(scratch_sqlite(name="city.db"))}
        if postgres:
            urls["postgresql"] = stack.enter_context(scratch_postgres(postgres))
        if suites & {"memory", "chat"}:
            _memory_city(report, size, urls, obligations="memory" in suites)  # the city the chat uses too
        if "uow" in suites:
            await _uow(report, size, repeats, postgres)
        if "chat" in suites:
            await _chat(report, size, repeats, urls, args.mix)
        if "memory" in suites:
            _memory_idle(report, size, urls["sqlite"])
        if args.profile:
            await _profile(report, size, urls["sqlite"], args.mix)
        if suites & {"sweep", "digest"}:  # after the chat: it links workers of its own first
            await _scales(report, sizes, args, urls, postgres)
    if "outbox" in suites:
        await _outbox(report, size, repeats, postgres)
    if suites & {"memory", "uow", "chat"}:
        await _taps(report)
    if report.targets:
        report.section("Summary against the targets", "\n".join(f"- {line}" for line in report.targets))
    if logs.counts:
        report.section("Logged warnings and errors", "\n".join(logs.lines()))
    report.note("done")
    if args.json:
        args.json.write_text(json.dumps(report.raw, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
