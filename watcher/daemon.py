"""`watcher daemon`: every source on its own schedule, politely, restartably.

    start:    take the data folder's lock (a second daemon is refused, naming the first one's pid);
              open the store; one Fetcher for every job, so per-host limits, delays, robots.txt and
              Retry-After hold across all of them
    schedule: each enabled source (and each document discovered on their pages) every `interval`, moved
              by up to `jitter`; its first run is its last check + interval, or, when it is due already,
              a slot spread over `startup_spread`; one run at a time per source; runs missed during a
              sleep or an outage coalesce into one
              the alert outbox every `deliver_every`; pending verdicts every `reevaluate_every`
    a check:  check_source -> one log line -> alerts stored -> due alerts delivered (in a worker thread)
    SIGHUP:   read sources.toml again; a broken file is logged and the running configuration stays
    SIGTERM, SIGINT: no new runs; in-flight checks get `stop_timeout` to finish, then are cancelled;
              each check writes its rows in one transaction, so a cancelled or killed one leaves nothing
              half-done, and the next start resumes from the database
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from watcher.alerts.outbox import deliver, queue_alerts
from watcher.errors import ConfigError
from watcher.fetch import Fetcher
from watcher.lock import DataLock
from watcher.pipeline import SourceResult, check_source, new_run, reevaluate
from watcher.pipeline.check import LINK_TRACKING_KINDS
from watcher.pipeline.discover import discovered_sources
from watcher.sources import Config, Source, load_config
from watcher.store import Store, iso

log = logging.getLogger("watcher.daemon")

MAX_JITTER = 900.0  # seconds: jitter never moves a run by more than 15 minutes


class Daemon:
    """The scheduler, the shared fetcher and the store of one data folder."""

    def __init__(self, config_path: Path, data_dir: Path, config: Config,
                 web: tuple[str, int] | None = None) -> None:
        self.config_path = config_path
        self.data_dir = data_dir
        self.config = config
        self.store = Store(data_dir)
        self.fetcher: Fetcher | None = None
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.running: set[asyncio.Task[Any]] = set()
        self.stopping = asyncio.Event()
        self.delivering = asyncio.Lock()
        self.intervals: dict[str, float] = {}
        self.web = web  # (host, port) to serve the web UI on, in a thread of this process

    async def run(self) -> None:
        """Run until SIGTERM or SIGINT."""
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, self.stop, "SIGINT")
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        web = self._start_web()
        async with Fetcher(self.config.fetch) as fetcher:
            self.fetcher = fetcher
            self.store.sync_sources(self.config.sources, datetime.now(UTC))
            self.scheduler.start()
            self.schedule(datetime.now(UTC))
            log.info("started: %d sources scheduled, data in %s", len(self.intervals), self.data_dir,
                     extra={"fields": {"event": "started", "sources": len(self.intervals)}})
            await self.stopping.wait()
            self.scheduler.pause()  # no new runs; shutting the scheduler down would cancel running ones
            await self._drain()
            self.scheduler.shutdown(wait=False)
        if web is not None:
            web[0].should_exit = True
            web[1].join(timeout=10)
        self.store.close()
        log.info("stopped", extra={"fields": {"event": "stopped"}})

    def _start_web(self) -> tuple[Any, Any] | None:
        if self.web is None:
            return None
        from watcher.web.command import build_app, start_in_thread

        host, port = self.web
        started = start_in_thread(build_app(self.data_dir, self.config), host, port)
        log.info("web UI at http://%s:%d/", host, port, extra={"fields": {"event": "web", "host": host,
                                                                          "port": port}})
        return started

    # ---- schedule ------------------------------------------------------------------------------------

    def sources(self) -> list[Source]:
        """Every enabled source: configured ones and documents discovered on their pages."""
        return [s for s in [*self.config.sources, *discovered_sources(self.store, self.config)] if s.enabled]

    def schedule(self, now: datetime) -> None:
        """Make the scheduler's jobs match the configuration (new, changed and removed sources)."""
        sources = {s.id: s for s in self.sources()}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("check:") and job.id[6:] not in sources:
                job.remove()
                self.intervals.pop(job.id[6:], None)
                self.store.save_schedule(job.id[6:], None, 0, now)
        due = [s for s in sources.values() if self.intervals.get(s.id) != s.interval]
        for source, first in first_runs(due, self.store, self.config, now):
            self._add_check(source, first, now)
        d = self.config.daemon
        self.scheduler.add_job(self._deliver_job, IntervalTrigger(seconds=d.deliver_every), id="deliver",
                               replace_existing=True, max_instances=1, coalesce=True, misfire_grace_time=None)
        self.scheduler.add_job(self._reevaluate_job, IntervalTrigger(seconds=d.reevaluate_every),
                               id="reevaluate", replace_existing=True, max_instances=1, coalesce=True,
                               misfire_grace_time=None)

    def _add_check(self, source: Source, first: datetime, now: datetime) -> None:
        jitter = min(source.interval * self.config.daemon.jitter, MAX_JITTER)
        trigger = IntervalTrigger(seconds=source.interval, jitter=jitter or None)
        self.scheduler.add_job(self._check_job, trigger, args=[source.id], id=f"check:{source.id}",
                               name=source.id, replace_existing=True, max_instances=1, coalesce=True,
                               misfire_grace_time=None, next_run_time=first)
        self.intervals[source.id] = source.interval
        self.store.save_schedule(source.id, first, source.interval, now)

    def _save_next_run(self, source_id: str) -> None:
        job = self.scheduler.get_job(f"check:{source_id}")
        if job is not None and job.next_run_time is not None:
            self.store.save_schedule(source_id, job.next_run_time, self.intervals.get(source_id, 0),
                                     datetime.now(UTC))

    # ---- jobs ----------------------------------------------------------------------------------------

    async def _tracked(self, work: Coroutine[Any, Any, None]) -> None:
        """Run one job's work unless stopping; `_drain` waits for it on shutdown."""
        if self.stopping.is_set():
            work.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self.running.add(task)
        try:
            await work
        finally:
            self.running.discard(task)

    async def _check_job(self, source_id: str) -> None:
        await self._tracked(self._check(source_id))

    async def _deliver_job(self) -> None:
        await self._tracked(self.alert())

    async def _reevaluate_job(self) -> None:
        await self._tracked(self._reevaluate())

    async def _check(self, source_id: str) -> None:
        source = next((s for s in self.sources() if s.id == source_id), None)
        if source is None or self.fetcher is None:
            return
        clock = time.monotonic()
        result = await check_source(new_run(self.config, self.store, self.fetcher), source)
        log_check(result, time.monotonic() - clock)
        self._save_next_run(source_id)
        if source.kind in LINK_TRACKING_KINDS:
            self.schedule(datetime.now(UTC))  # documents discovered on the page get their own jobs
        await self.alert()

    async def _reevaluate(self) -> None:
        updated = reevaluate(self.store, self.config, datetime.now(UTC))
        if updated:
            log.info("re-evaluated %d pending verdicts", updated,
                     extra={"fields": {"event": "reevaluate", "updated": updated}})
        await self.alert()

    async def alert(self) -> None:
        """Store alerts for what the store recorded, then deliver what is due, off the event loop."""
        made = queue_alerts(self.store, self.config, datetime.now(UTC))
        for key in made:
            log.info("alert %s", key, extra={"fields": {"event": "alert", "key": key}})
        async with self.delivering:
            await asyncio.to_thread(deliver_due, self.data_dir, self.config)

    # ---- lifecycle -----------------------------------------------------------------------------------

    def stop(self, name: str = "signal") -> None:
        """Stop taking new runs; `run` then lets in-flight checks finish."""
        if not self.stopping.is_set():
            log.info("%s: stopping after %d in-flight checks", name, len(self.running),
                     extra={"fields": {"event": "stopping", "signal": name, "in_flight": len(self.running)}})
            self.stopping.set()

    def reload(self) -> None:
        """SIGHUP: read sources.toml again; keep the running configuration if the new one is broken."""
        try:
            config = load_config(self.config_path)
        except ConfigError as e:
            log.error("reload refused, still running the previous configuration: %s", e,
                      extra={"fields": {"event": "reload_refused", "error": str(e)}})
            return
        old, self.config = self.config, config
        if config.fetch != old.fetch:
            asyncio.get_running_loop().create_task(self._replace_fetcher())
        self.store.sync_sources(config.sources, datetime.now(UTC))
        self.intervals = {k: v for k, v in self.intervals.items() if k in {s.id for s in self.sources()}}
        self.schedule(datetime.now(UTC))
        log.info("reloaded %s: %d sources scheduled", self.config_path, len(self.intervals),
                 extra={"fields": {"event": "reloaded", "sources": len(self.intervals)}})

    async def _replace_fetcher(self) -> None:
        """New [fetch] settings: new checks use a new fetcher; the old one closes when its checks end."""
        old, in_flight = self.fetcher, set(self.running)
        fetcher = Fetcher(self.config.fetch)
        self.fetcher = await fetcher.__aenter__()
        await asyncio.gather(*in_flight, return_exceptions=True)
        if old is not None:
            await old.__aexit__(None, None, None)

    async def _drain(self) -> None:
        """Let in-flight checks finish within stop_timeout; cancel the rest (their transactions roll back)."""
        if not self.running:
            return
        done, pending = await asyncio.wait(set(self.running), timeout=self.config.daemon.stop_timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)
            log.warning("abandoned %d checks still running after %.0fs", len(pending),
                        self.config.daemon.stop_timeout,
                        extra={"fields": {"event": "abandoned", "checks": len(pending)}})


def first_runs(sources: list[Source], store: Store, config: Config, now: datetime) -> list[tuple[Source, datetime]]:
    """When each source runs first: its last check + interval when that is still ahead; the sources that
    are due get slots spread evenly over `startup_spread` (at most the shortest interval among them)."""
    planned, due = [], []
    for source in sorted(sources, key=lambda s: s.id):
        last = store.last_check_at(source.id)
        upcoming = last + timedelta(seconds=source.interval) if last else None
        if upcoming and upcoming > now:
            planned.append((source, upcoming))
        else:
            due.append(source)
    if due:
        spread = min(config.daemon.startup_spread, min(s.interval for s in due))
        step = spread / len(due)
        planned += [(source, now + timedelta(seconds=i * step)) for i, source in enumerate(due)]
    return planned


def deliver_due(data_dir: Path, config: Config) -> None:
    """Deliver due alerts with a connection of this thread's own (SMTP and HTTP block)."""
    store = Store(data_dir)
    try:
        report = deliver(store, config, datetime.now(UTC))
    finally:
        store.close()
    for label in report.delivered:
        log.info("delivered %s", label, extra={"fields": {"event": "delivered", "delivery": label}})
    for failure in report.failed:
        log.warning("not delivered (will retry): %s", failure,
                    extra={"fields": {"event": "delivery_failed", "error": failure}})


def log_check(result: SourceResult, seconds: float) -> None:
    """One line per check: source, status, duration, outcome (and the change or the error)."""
    status = "failed" if result.error else "ok"
    fields = {"event": "check", "source": result.source_id, "status": status, "outcome": result.outcome,
              "change": result.change_kind, "duration_s": round(seconds, 3), "error": result.error}
    detail = f" change={result.change_kind}" if result.change_kind else ""
    detail += f" error={json.dumps(result.error)}" if result.error else ""
    log.log(logging.WARNING if result.error else logging.INFO, "check %s %s %s %.2fs%s", result.source_id,
            status, result.outcome, seconds, detail, extra={"fields": fields})


class JsonFormatter(logging.Formatter):
    """`--log-format json`: one JSON object per line with time, level, message and the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": iso(datetime.fromtimestamp(record.created, UTC)), "level": record.levelname.lower(),
                 "logger": record.name, "message": record.getMessage(), **getattr(record, "fields", {})}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str, verbose: bool) -> None:
    """Log lines to stderr as text (`time level message`) or JSON."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("watcher.daemon").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def run_daemon(config_path: Path, data_dir: Path, *, web: bool = False, host: str | None = None,
               port: int | None = None) -> None:
    """Take the lock, validate the configuration, run until stopped (with the web UI when asked)."""
    config = load_config(config_path)
    lock = DataLock(data_dir, "daemon")
    lock.acquire()
    address = (host or config.web.host, port or config.web.port) if web else None
    try:
        asyncio.run(Daemon(config_path, data_dir, config, address).run())
    finally:
        lock.release()
