"""Generating the demo city, side by side with another checkout:
`python -m bench.demo --code-dir OLD [--sizes 10000,100000] [--repeats 3] [--no-sqlite] [--postgres URL]`.

Each generation (`python -m bench.memory generate`: `generate_demo_city` in a fresh process, its
time and peak memory) runs in a scratch database of its own, from this checkout and from
`--code-dir` (e.g. a `git archive` of the revision before) taking turns within each repeat, so the
drift of a shared machine touches both alike. Prints a Markdown table of medians for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from bench.common import DEFAULT_POSTGRES, load_average, median, scratch_postgres, scratch_sqlite

HERE = Path(__file__).resolve().parents[1]


def generate(code_dir: Path, url: str, persons: int, timeout: float) -> dict[str, Any]:
    """One generation by `code_dir`'s code into `url`, in a child process; what it printed."""
    env = os.environ | {"PYTHONPATH": str(code_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", "generate", url, "--persons", str(persons)],
        cwd=code_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"generation by {code_dir} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _scratch(backend: str, postgres: str) -> AbstractContextManager[str]:
    return scratch_postgres(postgres) if backend == "postgresql" else scratch_sqlite()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.demo")
    parser.add_argument("--code-dir", type=Path, required=True, help="the other checkout")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--timeout", type=float, default=3600)
    options = parser.parse_args()
    sides = {"before": options.code_dir.resolve(), "after": HERE}
    backends = ["postgresql"] + ([] if options.no_sqlite else ["sqlite"])
    rows = []
    for persons in (int(size) for size in options.sizes.split(",")):
        for backend in backends:
            seconds: dict[str, list[float]] = {side: [] for side in sides}
            peaks: dict[str, list[float]] = {side: [] for side in sides}
            for repeat in range(options.repeats):
                for side, code_dir in sides.items():
                    with _scratch(backend, options.postgres) as url:
                        found = generate(code_dir, url, persons, options.timeout)
                    seconds[side].append(found["seconds"])
                    peaks[side].append(found["peak_mb"])
                    print(
                        f"{persons:,} {backend} {side} #{repeat + 1}: {found['seconds']:.1f} s, "
                        f"{found['peak_mb']:.0f} MB (load {load_average()})",
                        file=sys.stderr,
                        flush=True,
                    )
            before, after = median(seconds["before"]), median(seconds["after"])
            rows.append(
                f"| {persons:,} | {backend} | {before:.1f} | {after:.1f} | {before / after:.1f}× "
                f"| {median(peaks['before']):.0f} / {median(peaks['after']):.0f} "
                f"| {', '.join(f'{b:.1f}/{a:.1f}' for b, a in zip(*seconds.values(), strict=True))} |"
            )
    print(
        "| persons | database | before s | after s | faster | peak MB before / after | runs (before/after) |"
    )
    print("|---:|---|---:|---:|---:|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
