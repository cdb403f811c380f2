"""Issue 17.12: time and peak memory of `gridcare import persons` on large and broken files.

`python -m bench.imports [--rows 100000] [--code-dir DIR] [--timeout 600]` builds, in a temporary
folder, a SQLite database with the examples' areas and workers, and two files of persons:
- `broken.xlsx`: `--rows` rows, each with four problems (unknown area and worker, bad status, bad
  date), like the reported 765 KB file that printed 399,992 problems;
- `huge.csv`: ten times `--rows` valid-looking rows (the reported 1M-row file).
Each import runs in a child process of its own (`--code-dir` runs another checkout's code, e.g. a
`git archive` of the commit before the fix); prints wall time, peak resident memory (the child's
ru_maxrss) and exit code. Figures go to BENCHMARKS.md / the issue, never into tests.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from tests.factories import TEST_KEYS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HEADER = ["编号", "姓名", "网格编码", "状态", "风险等级", "开始日期", "责任网格员"]


def _broken_xlsx(path: Path, rows: int) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append([f"B-{n}", f"名字{n}", "NO-AREA", "在逃", "红色", "2026-13-45", "NO-WORKER"])
    workbook.save(path)


def _huge_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as file:
        file.write(",".join(HEADER) + "\n")
        for n in range(rows):
            file.write(f"H-{n},名字{n},EX-G1,社区戒毒,红色,2025-01-0{1 + n % 9},W-G1\n")


def _run(code_dir: Path, env: dict[str, str], args: list[str], timeout: float) -> dict[str, object]:
    command = [sys.executable, "-c", "from bot.cli import app; app()", *args]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=code_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output, _ = child.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        child.kill()
        output, _ = child.communicate()
        timed_out = True
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far
    lines = output.strip().splitlines()
    return {
        "seconds": round(seconds, 1),
        "peak_mb_so_far": round(peak_kb / 1024),
        "exit": "timeout" if timed_out else child.returncode,
        "output_lines": len(lines),
        "last": lines[-1][:120] if lines else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--code-dir", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--only", choices=("broken", "huge"), default=None)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        env = os.environ | {
            "GRIDCARE_DATABASE_URL": f"sqlite:///{root / 'bench.db'}",
            "GRIDCARE_SECRET_KEY": TEST_KEYS,
            "PYTHONPATH": str(options.code_dir),
            "COLUMNS": "120",
        }
        for args in (
            ["db", "upgrade"],
            *(["import", k, str(EXAMPLES / f"{k}.csv")] for k in ("areas", "workers")),
        ):
            _run(options.code_dir, env, args, options.timeout)
        files = {"broken": root / "broken.xlsx", "huge": root / "huge.csv"}
        _broken_xlsx(files["broken"], options.rows)
        _huge_csv(files["huge"], options.rows * 10)
        for name, path in files.items():
            if options.only not in (None, name):
                continue
            size = path.stat().st_size / 1e6
            figures = _run(options.code_dir, env, ["import", "persons", str(path)], options.timeout)
            print(f"{name} ({size:.1f} MB):", figures, flush=True)


if __name__ == "__main__":
    main()
