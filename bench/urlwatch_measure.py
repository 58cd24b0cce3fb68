"""Run one tool under bench/measure.py and sample the memory of its whole process tree meanwhile.

measure.py (a child subreaper) gives exact CPU and ru_maxrss of the command and of every process it leaves
behind. ru_maxrss cannot say how much the tree held at once, so a thread here reads the tree every
--sample seconds from /proc (children lists, then smaps_rollup of each process) and keeps the peak of the
summed RSS and of the summed PSS (PSS shares pages between forked processes fairly; RSS counts a page
once per process that maps it).

    result = run_measured(command, json_path, env=env, cwd=repo)
    result.wall, result.cpu, result.cpu_main, result.cpu_helpers, result.maxrss_main_mib,
    result.tree_pss_peak_mib, result.tree_rss_peak_mib, result.stdout, result.stderr
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MEASURE = Path(__file__).resolve().parent / "measure.py"


@dataclass
class Measured:
    """What one measured run gave."""

    wall: float
    exit_code: int
    cpu_main: float
    cpu_helpers: float
    maxrss_main_mib: float
    maxrss_helpers_mib: float
    tree_pss_peak_mib: float
    tree_rss_peak_mib: float
    stdout: str
    stderr: str

    @property
    def cpu(self) -> float:
        """User + system CPU seconds of the command and everything it left behind."""
        return self.cpu_main + self.cpu_helpers


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc/PID/task/TID/children), not `pid` itself."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in _listdir(Path(f"/proc/{parent}/task")):
            try:
                children = [int(c) for c in Path(f"/proc/{parent}/task/{task}/children").read_text().split()]
            except (OSError, ValueError):
                continue
            found += children
            pending += children
    return found


def _listdir(path: Path) -> list[str]:
    try:
        return [p.name for p in path.iterdir()]
    except OSError:
        return []


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB, (0, 0) when it is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


class TreeSampler:
    """A thread that keeps the peak summed RSS and PSS of the processes below a pid."""

    def __init__(self, root_pid: int, interval: float) -> None:
        self.root_pid = root_pid
        self.interval = interval
        self.peak_rss_kib = 0
        self.peak_pss_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            rss = pss = 0
            for pid in descendants(self.root_pid):
                one_rss, one_pss = memory_kib(pid)
                rss += one_rss
                pss += one_pss
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)


def run_measured(
    command: list[str],
    json_path: Path,
    *,
    env: dict[str, str],
    cwd: Path,
    sample_seconds: float = 0.1,
    timeout: float | None = None,
) -> Measured:
    """Run `command` under measure.py (stdout and stderr captured) and sample its tree's memory."""
    wrapper = [sys.executable, str(MEASURE), "--json", str(json_path), "--", *command]
    with subprocess.Popen(
        wrapper, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        with TreeSampler(process.pid, sample_seconds) as sampler:
            stdout, stderr = process.communicate(timeout=timeout)
    if not json_path.exists():
        raise RuntimeError(f"measure.py failed for {command}: {stderr[-2000:]}")
    usage: dict[str, Any] = json.loads(json_path.read_text())
    helpers = usage["descendants"]
    return Measured(
        wall=usage["wall_seconds"],
        exit_code=usage["exit_code"],
        cpu_main=_cpu(usage["main"]),
        cpu_helpers=sum(_cpu(d) for d in helpers),
        maxrss_main_mib=usage["main"]["maxrss_kib"] / 1024,
        maxrss_helpers_mib=max((d["maxrss_kib"] for d in helpers), default=0) / 1024,
        tree_pss_peak_mib=sampler.peak_pss_kib / 1024,
        tree_rss_peak_mib=sampler.peak_rss_kib / 1024,
        stdout=stdout,
        stderr=stderr,
    )


def _cpu(usage: dict[str, Any]) -> float:
    return float(usage["user"] + usage["system"])
