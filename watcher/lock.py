"""One writer per data folder: an advisory lock on <data>/watcher.lock that names its holder.

The daemon holds it for its whole life; `watcher check`, `watcher reevaluate` and `watcher alerts retry`
hold it while they write. A second daemon, or a check while the daemon runs, is refused with the holder's
pid; a check while another check runs waits for it. The kernel drops the lock when its process dies
(even by kill -9), so a stale lock file never blocks anyone.
"""

from __future__ import annotations

import fcntl
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from watcher.errors import BusyError

LOCK_FILE = "watcher.lock"


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: its pid and role (daemon or the command's name)."""

    pid: int
    role: str


class DataLock:
    """The lock of one data folder; use `acquire()` then `release()` (or as a context manager)."""

    def __init__(self, data_dir: Path, role: str) -> None:
        self.path = data_dir / LOCK_FILE
        self.role = role
        self._file: IO[str] | None = None

    def acquire(self, *, wait_for: tuple[str, ...] = (), on_wait: object = None, timeout: float = 3600.0) -> None:
        """Take the lock. If a holder whose role is in `wait_for` has it, wait (up to `timeout`), calling
        `on_wait(holder)` once; any other holder raises BusyError naming it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while the lock is held
        deadline, told = time.monotonic() + timeout, False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = read_holder(self.path)
                if holder is None and time.monotonic() <= deadline:
                    time.sleep(0.05)  # released in between: try again
                    continue
                if holder is None or holder.role not in wait_for or time.monotonic() > deadline:
                    handle.close()
                    raise BusyError(_busy_message(self.path, holder, self.role)) from None
                if not told and callable(on_wait):
                    on_wait(holder)
                    told = True
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {self.role}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Give the lock back."""
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            self._file.flush()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> DataLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def read_holder(path: Path) -> Holder | None:
    """The holder written in the lock file, if the lock is held right now (None when it is free)."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            parts = handle.read().split()
            if len(parts) >= 2 and parts[0].isdigit():
                return Holder(int(parts[0]), parts[1])
            return Holder(0, "unknown")
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


def _busy_message(path: Path, holder: Holder | None, role: str) -> str:
    data = path.parent
    if holder is None:
        return f"{data}: the data folder is locked by another watcher process"
    if role == "daemon":
        return (f"{data}: another watcher {holder.role} (pid {holder.pid}) is already running on this data "
                "folder; not starting a second one")
    if holder.role == "daemon":
        return (f"{data}: watcher daemon (pid {holder.pid}) is running on this data folder and checks on "
                "schedule; not running alongside it (stop it with `kill " f"{holder.pid}`, or read with "
                "`watcher status` / `watcher changes`)")
    return f"{data}: `watcher {holder.role}` (pid {holder.pid}) is using this data folder"
