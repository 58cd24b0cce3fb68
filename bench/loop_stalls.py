"""Diagnose event-loop stalls in `watcher check`: run the check cycles in-process with a lag monitor.

    .venv/bin/python bench/loop_stalls.py [--docs 500] [--variant none] [--debug]

Same scenario as run_check_bench.py (cycle 1: all new; cycle 2: 10% edited), but run_check is called
in this process next to a task that sleeps 50 ms in a loop and records how late it wakes up. A late
wake-up means something ran on the event-loop thread without yielding (or starved it of the GIL); a
stall longer than [fetch] connect_timeout makes in-flight requests fail with "connect timeout".
--debug turns on asyncio debug mode, which logs every step that held the loop for more than 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import build_corpus, publish
from docserver import DocServerProcess
from run_check_bench import BENCH, write_config

from watcher.pipeline import run_check
from watcher.sources import Config, load_config
from watcher.store import Store

TICK = 0.05


async def watch_loop(stalls: list[float], stop: asyncio.Event) -> None:
    """Record, for every TICK-second sleep, how much later than asked the loop woke us."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        asked = loop.time()
        await asyncio.sleep(TICK)
        stalls.append(loop.time() - asked - TICK)


async def checked_cycle(config: Config, data: Path, debug: bool) -> str:
    """One run_check over every source with the monitor running; a one-line report."""
    if debug:
        asyncio.get_running_loop().slow_callback_duration = 1.0
    stalls: list[float] = []
    stop = asyncio.Event()
    monitor = asyncio.create_task(watch_loop(stalls, stop))
    store = Store(data)
    started = time.perf_counter()
    try:
        summary = await run_check(config, store, [s for s in config.sources if s.enabled])
    finally:
        wall = time.perf_counter() - started
        stop.set()
        await monitor
        store.close()
    errors = sorted({r.error for r in summary.results if r.error})
    return (f"{summary.line()}; wall {wall:.1f} s; loop stalls: longest {max(stalls, default=0):.2f} s, "
            f"{sum(s > 1 for s in stalls)} over 1 s, {sum(stalls):.1f} s in all"
            + (f"; errors: {errors}" if errors else ""))


def main(argv: list[str] | None = None) -> None:
    """Run cycle 1 and cycle 2 with the monitor and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--addresses", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--variant", choices=("etag", "none"), default="none")
    parser.add_argument("--debug", action="store_true", help="asyncio debug mode: log steps over 1 s")
    parser.add_argument("--out", type=Path, default=BENCH / "out")
    args = parser.parse_args(argv)
    if args.debug:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    corpus = build_corpus(args.out, seed=1, count=args.docs, change_share=0.1, words_changed=5)
    site, data = args.out / "site", args.out / f"stalls-{args.variant}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    publish(corpus, site)
    with DocServerProcess(site, addresses=args.addresses, latency_ms=args.latency_ms,
                          etag=args.variant == "etag") as server:
        write_config(data / "sources.toml", corpus, server.bases, "0s")
        config = load_config(data / "sources.toml")
        print("cycle 1:", asyncio.run(checked_cycle(config, data, args.debug), debug=args.debug), flush=True)
        publish(corpus, site, edited=True)
        print("cycle 2:", asyncio.run(checked_cycle(config, data, args.debug), debug=args.debug), flush=True)


if __name__ == "__main__":
    main()
