"""Run the watcher CLI in this process with its pipeline stages timed, and write the times as JSON.

    .venv/bin/python bench/urlwatch_stages.py --json OUT.json -- --config sources.toml check

It wraps (without editing watcher/) the synchronous functions each stage is made of, and adds up, per
stage, the calls, the wall time and the CPU time of the calling thread (time.thread_time). A stage gets
its own time: what a timed call spends in other timed calls (compare() inside assess_change, a store read
inside reevaluate) goes to their stages.

    normalize   watcher.pipeline.check.normalize_capture  (HTML here; a PDF's extraction runs in a child
                                                         process whose CPU measure.py reports apart)
    diff        watcher.pipeline.assess.compare
    classify    assess.assess_change (classification, explanation, severity; its compare() is diff's),
                assess.gather_evidence
    store       Store.write_snapshot, record_blob, record_fetch, add_version, touch_version, link_fetch,
                add_change, read_blob, latest_version, last_good_fetch, last_change_kind
    reevaluate  assess.reevaluate (settling pending verdicts after the pass)
    alerts      watcher.cli._alert (queue and deliver alerts)

OUT.json also holds `startup_cpu` (CPU of this process before the CLI ran: interpreter and imports) and
`process_cpu` (CPU of this process at the end). Fetching, the event loop and SQLite commits are the rest.
The wrappers cost about a microsecond per call (a few thousand calls per check).
"""

from __future__ import annotations

import functools
import json
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_local = threading.local()
_lock = threading.Lock()
TOTALS: dict[str, dict[str, float]] = {}


def timed(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, adding its own wall and thread CPU time (less that of timed calls inside it) to `stage`."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        stack: list[list[float]] = _local.__dict__.setdefault("stack", [])
        stack.append([0.0, 0.0])
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            inner_wall, inner_cpu = stack.pop()
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            if stack:
                stack[-1][0] += wall
                stack[-1][1] += cpu
            _add(stage, wall - inner_wall, cpu - inner_cpu)

    return wrapper


def _add(stage: str, wall: float, cpu: float) -> None:
    with _lock:
        totals = TOTALS.setdefault(stage, {"calls": 0, "wall": 0.0, "cpu": 0.0})
        totals["calls"] += 1
        totals["wall"] += wall
        totals["cpu"] += cpu


def install() -> None:
    """Wrap the stage functions in place (module attributes and Store methods)."""
    from watcher import cli
    from watcher.pipeline import assess, check
    from watcher.store import Store

    targets: list[tuple[str, Any, str]] = [
        ("normalize", check, "normalize_capture"),
        ("diff", assess, "compare"),
        ("classify", assess, "assess_change"),
        ("classify", assess, "gather_evidence"),
        ("reevaluate", assess, "reevaluate"),
        ("alerts", cli, "_alert"),
    ]
    targets += [
        ("store", Store, name)
        for name in (
            "write_snapshot",
            "record_blob",
            "record_fetch",
            "add_version",
            "touch_version",
            "link_fetch",
            "add_change",
            "read_blob",
            "latest_version",
            "last_good_fetch",
            "last_change_kind",
        )
    ]
    for stage, owner, name in targets:
        setattr(owner, name, timed(stage, getattr(owner, name)))


def cpu_now() -> float:
    """User + system CPU of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    """`urlwatch_stages.py --json OUT -- WATCHER ARGS...`"""
    if len(argv) < 3 or argv[0] != "--json" or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1])
    from watcher.cli import main as watcher_main

    install()
    startup = cpu_now()
    code: int | str | None = 0
    try:
        watcher_main(argv[3:], prog_name="watcher")
    except SystemExit as exit_:
        code = exit_.code
    finally:
        out.write_text(
            json.dumps({"stages": TOTALS, "startup_cpu": startup, "process_cpu": cpu_now()}, indent=1)
        )
    return code if isinstance(code, int) else (0 if code is None else 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
