"""Issue 17.15: a second `gridcare run` on the SQLite file of a running one refuses to start.

Two processes on one SQLite file both led (each ran the jobs and a sender of its own) and said
nothing. Here the first `gridcare run` (the venv's console script, long polling the local Bot API
server) holds the lock beside the database; the second exits at once with one line naming the
first's pid, before it touches the database or Telegram. The lock dies with its process: after a
SIGKILL of the first, the database can be taken again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sqlite_lock import AlreadyRunning, DatabaseLock
from bot.telegram_api import LocalBotApi
from tests.e2e.harness import TOKEN
from tests.factories import TEST_KEYS


def gridcare_run(workdir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`gridcare run` in `workdir` (no stray .env) with only the given GRIDCARE_* variables."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("GRIDCARE_")}
    gridcare = Path(sys.executable).with_name("gridcare")
    return subprocess.Popen(
        [str(gridcare), "run"],
        cwd=workdir,
        env={**inherited, **env, "NO_PROXY": "127.0.0.1,localhost"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def test_a_second_bot_on_the_same_sqlite_file_refuses_to_start_until_the_first_dies(
    tmp_path, sqlite_template
):
    database = tmp_path / "gridcare.db"
    shutil.copy(sqlite_template, database)
    async with LocalBotApi(tokens=[TOKEN], flood_limits=None) as api:
        env = {
            "GRIDCARE_DATABASE_URL": f"sqlite:///{database}",
            "GRIDCARE_BOT_TOKEN": TOKEN,
            "GRIDCARE_API_URL": api.base_url,
            "GRIDCARE_SECRET_KEY": TEST_KEYS,
            "GRIDCARE_LOCALE": "en",
        }
        first = gridcare_run(tmp_path, env)
        second: subprocess.Popen[bytes] | None = None

        def starts() -> int:
            return len(api.calls_to("deleteWebhook"))  # each bot's first call to Telegram

        try:
            await api.wait_until(lambda: starts() == 1 and api.bot().poll_generation > 0, 90, "polling")
            second = gridcare_run(tmp_path, env)
            await api.wait_until(lambda: second.poll() is not None or starts() > 1, 90, "the second's end")
            assert starts() == 1, "the second bot started: it reached Telegram"
            _, err = second.communicate()
            assert second.returncode == 1
            [line] = err.decode().strip().splitlines()
            assert "already running" in line and f"pid {first.pid}" in line and str(database) in line
            assert first.poll() is None, "the first one runs on"
            with pytest.raises(AlreadyRunning):
                DatabaseLock(database).acquire()
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
    lock = DatabaseLock(database)
    lock.acquire()  # the kernel dropped the dead one's lock: a restart starts
    lock.release()
