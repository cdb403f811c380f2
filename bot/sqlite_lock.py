"""One bot process per SQLite file: an OS lock on a file beside the database (issue 17.15).

SQLite serves one bot process. Two would both lead (bot/leadership.py: on SQLite the only process
always does): each would run the scheduled jobs and its own sender, paced as if alone, and each
would take back at start the rows the other has in flight (bot/outbox.py). So `gridcare run` holds
an exclusive `flock` on `<database>.lock` for as long as it lives, and a second one is refused
with one line that names the first one's pid. The kernel drops the lock when the process ends,
however it ends (SIGKILL included): a lock file left behind never blocks a restart. PostgreSQL
needs no such lock: its processes share the work through advisory locks.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

MESSAGES = {
    "zh_CN": "另一个 Gridcare 机器人进程（pid {pid}）正在使用 {path}：SQLite 只能由一个进程运行，"
    "请先停止它（多个进程请用 PostgreSQL）",
    "en": "another Gridcare bot (pid {pid}) is already running on {path}: SQLite serves one bot "
    "process; stop it first (use PostgreSQL to run several)",
}


class AlreadyRunning(RuntimeError):
    """Another process holds the database's lock."""

    def __init__(self, path: Path, pid: str, locale: str = "en") -> None:
        self.path, self.pid = path, pid
        super().__init__(MESSAGES.get(locale, MESSAGES["en"]).format(pid=pid, path=path))


class DatabaseLock:
    """The lock on `<database>.lock`, held from `acquire()` until `release()` or the process's end."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self, locale: str = "en") -> None:
        """Take the lock, or raise AlreadyRunning (the message in `locale`) if a live process has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Not inherited by child processes (Python's default): only this process's end frees it.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(self.database, holder, locale) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Let another process start (the file stays: removing it could race a starting process)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
