"""Run a command and measure the CPU time and peak RSS of it and of every process it leaves behind.

`watcher check` extracts PDFs in children of a multiprocessing forkserver; when watcher exits, the
forkserver is orphaned, and its CPU (which includes every extraction child it reaped) would be lost to
a plain getrusage(RUSAGE_CHILDREN) in the benchmark. So this runs as a small separate process that
makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER, Linux): orphaned descendants are
re-parented to it, it reaps every one with wait4, and the rusage of each is kept.

    python bench/measure.py --json OUT.json -- COMMAND ARGS...

The command's stdout/stderr pass through; its exit code is this program's exit code. OUT.json holds:
    wall_seconds, exit_code,
    main: {pid, user, system, maxrss_kib}          the command's own process (with what it reaped)
    descendants: [{pid, user, system, maxrss_kib}]  orphans reaped here (forkserver, resource tracker)
    total: {user, system, maxrss_kib}              getrusage(RUSAGE_CHILDREN) after all were reaped
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Make orphaned descendants re-parent to this process (Linux only)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def usage_json(pid: int, usage: resource.struct_rusage) -> dict[str, Any]:
    """The CPU and memory fields of one rusage."""
    return {"pid": pid, "user": usage.ru_utime, "system": usage.ru_stime, "maxrss_kib": usage.ru_maxrss}


def reap_all() -> list[tuple[int, int, resource.struct_rusage]]:
    """Wait for every remaining child (including adopted orphans): [(pid, status, rusage)]."""
    reaped: list[tuple[int, int, resource.struct_rusage]] = []
    while True:
        try:
            pid, status, usage = os.wait4(-1, 0)
        except ChildProcessError:
            return reaped
        reaped.append((pid, status, usage))


def run(command: list[str]) -> dict[str, Any]:
    """Run the command to completion, reap all its descendants and return the measurements."""
    become_subreaper()
    started = time.perf_counter()
    process = subprocess.Popen(command)
    main_pid = process.pid
    reaped = reap_all()  # the command first or later, then the orphans it left
    wall = time.perf_counter() - started
    process.returncode = 0  # already reaped above; keep Popen from waiting again
    main = next((r for r in reaped if r[0] == main_pid), None)
    assert main is not None, "the command was not reaped"
    total = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "command": command,
        "wall_seconds": wall,
        "exit_code": os.waitstatus_to_exitcode(main[1]),
        "main": usage_json(main_pid, main[2]),
        "descendants": [usage_json(pid, usage) for pid, _, usage in reaped if pid != main_pid],
        "total": {"user": total.ru_utime, "system": total.ru_stime, "maxrss_kib": total.ru_maxrss},
    }


def main(argv: list[str]) -> int:
    """`measure.py --json OUT -- COMMAND...`"""
    if len(argv) < 4 or argv[0] != "--json" or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    result = run(argv[3:])
    Path(argv[1]).write_text(json.dumps(result, indent=2))
    return int(result["exit_code"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
