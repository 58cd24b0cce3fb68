"""The `watcher` command line: thin commands over sources, pipeline and store."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from watcher import __version__
from watcher.alerts.build import sample_alert
from watcher.alerts.channels import send_alert
from watcher.alerts.outbox import deliver, queue_alerts
from watcher.daemon import configure_logging, run_daemon
from watcher.diff import compare, render_terminal
from watcher.errors import ConfigError, DeliveryError, WatcherError
from watcher.health import source_health
from watcher.lock import DataLock, read_holder
from watcher.pipeline import SourceResult, dry_run, reevaluate, run_check
from watcher.pipeline.discover import discovered_sources
from watcher.records import change_record
from watcher.sources import Config, Source, load_config, parse_duration
from watcher.store import Store, Version, iso
from watcher.web.command import serve

EXIT_ALL_FAILED, EXIT_CONFIG = 1, 2
WRITERS = ("check", "reevaluate", "retry")  # commands that write; another one waits for them


@dataclass
class Context:
    """Where the config and the data folder are."""

    config_path: Path
    data_dir: Path | None

    def config(self) -> Config:
        """The validated sources.toml."""
        return load_config(self.config_path)

    @property
    def data(self) -> Path:
        """The data folder: --data, WATCHER_DATA, or the folder of the config file."""
        return self.data_dir or self.config_path.resolve().parent

    @contextmanager
    def writing(self, role: str) -> Iterator[None]:
        """Hold the data folder's lock while writing: refused while the daemon runs; waits for another
        command that writes."""
        lock = DataLock(self.data, role)
        lock.acquire(wait_for=WRITERS, on_wait=lambda h: click.echo(
            f"waiting for `watcher {h.role}` (pid {h.pid}) to finish...", err=True))
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The opened store of the data folder."""
        store = Store(self.data)
        try:
            yield store
        finally:
            store.close()


class WatcherGroup(click.Group):
    """Turns WatcherError into a clear message and the documented exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as e:
            click.echo(f"error: {e}", err=True)
            ctx.exit(EXIT_CONFIG)
        except WatcherError as e:
            click.echo(f"error: {e}", err=True)
            ctx.exit(1)


@click.group(cls=WatcherGroup)
@click.option("--config", "config_path", type=click.Path(path_type=Path), envvar="WATCHER_CONFIG",
              default="sources.toml", show_default=True, help="sources.toml to use (env WATCHER_CONFIG).")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), envvar="WATCHER_DATA", default=None,
              help="Data folder with watcher.db, snapshots/ and alerts/ (env WATCHER_DATA; default: the "
                   "folder of the config file).")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
@click.version_option(__version__, prog_name="watcher")
@click.pass_context
def main(ctx: click.Context, config_path: Path, data_dir: Path | None, verbose: bool) -> None:
    """Watch published AI safety frameworks and report, with evidence, when they change."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = Context(config_path=config_path, data_dir=data_dir)


def _selected_sources(config: Config, source_ids: tuple[str, ...], found: list[Source]) -> list[Source]:
    """The named sources (configured or discovered), or every enabled one."""
    if source_ids:
        by_id = {s.id: s for s in found}
        return [by_id[i] if i in by_id else config.source(i) for i in source_ids]
    return [s for s in [*config.sources, *found] if s.enabled]


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time", param_hint=option) from None
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)


@main.command()
@click.argument("source_ids", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Fetch and normalize, print the text, store nothing.")
@click.option("--at", "at", default=None, help="Record the captures as taken at this ISO 8601 time "
              "(for replays and imports).")
@click.pass_obj
def check(obj: Context, source_ids: tuple[str, ...], dry_run: bool, at: str | None) -> None:
    """One pass over every enabled source (or the ones named). Example: watcher check anthropic-rsp"""
    config = obj.config()
    if dry_run:
        _dry_run(config, _selected_sources(config, source_ids, []))
        return
    now = _parse_time(at, "--at")
    progress = _print_progress if sys.stderr.isatty() else None
    with obj.writing("check"), obj.store() as store:
        sources = _selected_sources(config, source_ids, discovered_sources(store, config))
        summary = asyncio.run(run_check(config, store, sources, now=now, progress=progress))
        for result in summary.results:
            if result.error and not progress:
                click.echo(f"{result.source_id}: {result.error}", err=True)
        click.echo(summary.line())
        _alert(store, config, now or datetime.now(UTC))
    if summary.all_failed:
        sys.exit(EXIT_ALL_FAILED)


def _alert(store: Store, config: Config, now: datetime) -> None:
    """Store alerts for what the check found, then deliver what is due (digests included)."""
    made = queue_alerts(store, config, now)
    report = deliver(store, config, now)
    for failure in report.failed:
        click.echo(f"alert not delivered: {failure}", err=True)
    if made or report.delivered or report.failed:
        click.echo(f"{len(made)} new alert{'s' if len(made) != 1 else ''}; {report.line()}")


def _print_progress(result: SourceResult) -> None:
    detail = result.change_kind or result.outcome
    if result.error:
        detail = f"{detail}: {result.error}"
    click.echo(f"  {result.source_id}: {detail}", err=True)


def _dry_run(config: Config, sources: list[Source]) -> None:
    failed = 0
    for source in sources:
        capture, document, error = asyncio.run(dry_run(config, source))
        click.echo(f"== {source.id}  {capture.final_url}  HTTP {capture.status}", err=True)
        if error or document is None:
            click.echo(f"error: {source.id}: {error}", err=True)
            failed += 1
            continue
        click.echo(f"== title: {document.title}  format: {document.format}  {len(document.text)} chars",
                   err=True)
        click.echo(document.text)
    if failed and failed == len(sources):
        sys.exit(EXIT_ALL_FAILED)


@main.command("reevaluate")
@click.option("--at", "at", default=None, help="Evaluate as of this ISO 8601 time (default: now).")
@click.pass_obj
def reevaluate_command(obj: Context, at: str | None) -> None:
    """Settle pending explanation verdicts with the accounts known now. Example: watcher reevaluate"""
    config = obj.config()
    with obj.writing("reevaluate"), obj.store() as store:
        updated = reevaluate(store, config, _parse_time(at, "--at") or datetime.now(UTC))
    click.echo(f"re-evaluated {updated} changes")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (the documented contract).")
@click.option("--since", default=None, help="Only changes detected at or after this ISO 8601 date/time, "
              "or a duration back from now such as 7d.")
@click.option("--source", "source_id", default=None, help="Only this source.")
@click.option("--limit", type=int, default=None, help="At most this many changes.")
@click.pass_obj
def changes(obj: Context, as_json: bool, since: str | None, source_id: str | None, limit: int | None) -> None:
    """What changed, newest first. Example: watcher changes --since 2026-01-01 --json"""
    with obj.store() as store:
        rows = store.changes(since=_since(since), source_id=source_id, limit=limit)
        records = [change_record(store, row) for row in rows]
    if as_json:
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
        return
    if not records:
        click.echo("no changes recorded")
    for r in records:
        versions = f"v{r['old']['version'] if r['old'] else '-'} -> v{r['new']['version'] if r['new'] else '-'}"
        stats = r["stats"]
        verdict = (r["explanation"] or {}).get("status", "")
        click.echo(f"#{r['id']:<5} {r['detected_at']}  {r['kind']:<10} {r['severity'] or '':<6} {verdict:<12} "
                   f"{r['source']:<32} {versions:<12} +{stats['chars_added']} -{stats['chars_removed']} chars, "
                   f"{stats['hunks']} hunks")
        for reason in r["reasons"][:3]:
            click.echo(f"       {reason}")


def _since(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return iso(datetime.now(UTC) - timedelta(seconds=parse_duration(value, "--since")))
    except ConfigError:
        moment = _parse_time(value, "--since")
        return iso(moment) if moment else None


@main.command()
@click.argument("source_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def history(obj: Context, source_id: str, as_json: bool) -> None:
    """Every stored version of a source. Example: watcher history anthropic-rsp"""
    with obj.store() as store:
        versions = store.versions(source_id)
        fetches = store.fetches(source_id, limit=10)
    if as_json:
        click.echo(json.dumps([_version_json(v) for v in versions], indent=2, ensure_ascii=False))
        return
    if not versions:
        click.echo(f"{source_id}: no versions stored")
    for v in versions:
        click.echo(f"v{v.number:<3} first seen {v.first_seen_at}  last seen {v.last_seen_at}  {v.format:<4} "
                   f"HTTP {v.http_status}  {v.text_chars} chars\n     text {v.text_sha256}\n"
                   f"     raw  {v.raw_sha256}\n     url  {v.url}\n"
                   f"     etag {v.etag or '-'}  last-modified {v.last_modified or '-'}  "
                   f"content-type {v.content_type or '-'}")
    if fetches:
        click.echo("recent fetches:")
        for f in fetches:
            click.echo(f"  {f['started_at']}  {f['outcome']:<12} HTTP {f['status'] or '-':<4} "
                       f"{f['bytes'] or 0:>9} bytes {f['elapsed_ms'] or 0:>8.0f} ms  {f['error'] or ''}")


def _version_json(v: Version) -> dict[str, Any]:
    return {"version": v.number, "first_seen_at": v.first_seen_at, "last_seen_at": v.last_seen_at,
            "text_sha256": v.text_sha256, "raw_sha256": v.raw_sha256, "url": v.url, "format": v.format,
            "content_type": v.content_type, "http_status": v.http_status, "etag": v.etag,
            "last_modified": v.last_modified, "title": v.title, "text_chars": v.text_chars}


@main.command()
@click.argument("source_id")
@click.argument("old", type=int, required=False)
@click.argument("new", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the hunks as JSON.")
@click.option("--color/--no-color", default=None, help="Colour (default: when stdout is a terminal).")
@click.pass_obj
def diff(obj: Context, source_id: str, old: int | None, new: int | None, as_json: bool,
         color: bool | None) -> None:
    """Latest version against the previous, or any two. Example: watcher diff anthropic-rsp 2 5"""
    with obj.store() as store:
        versions = store.versions(source_id)
        if len(versions) < 2 and (old is None or new is None):
            raise WatcherError(f"{source_id}: fewer than two versions stored; nothing to compare")
        new_version = store.version(source_id, new) if new is not None else versions[-1]
        old_version = store.version(source_id, old) if old is not None else versions[-2]
        result = compare(store.read_text(old_version), store.read_text(new_version))
    if as_json:
        click.echo(json.dumps({"source": source_id, "old": old_version.number, "new": new_version.number,
                               "stats": result.stats(), "hunks": result.to_json()}, indent=2,
                              ensure_ascii=False))
        return
    use_color = sys.stdout.isatty() if color is None else color
    click.echo(f"{source_id}: v{old_version.number} ({old_version.first_seen_at}) -> v{new_version.number} "
               f"({new_version.first_seen_at}), {len(result.hunks)} hunks")
    click.echo(render_terminal(result, color=use_color))


@main.command()
@click.argument("source_id")
@click.argument("version", type=int, required=False)
@click.option("--raw", is_flag=True, help="Write the original bytes (the file as fetched) instead.")
@click.pass_obj
def show(obj: Context, source_id: str, version: int | None, raw: bool) -> None:
    """The normalized text of a version (latest by default). Example: watcher show anthropic-rsp 3"""
    with obj.store() as store:
        chosen = store.version(source_id, version) if version is not None else store.latest_version(source_id)
        if chosen is None:
            raise WatcherError(f"{source_id}: no versions stored (run `watcher check {source_id}`)")
        if raw:
            sys.stdout.buffer.write(store.read_blob(chosen.raw_sha256))
            return
        click.echo(store.read_text(chosen))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def sources(obj: Context, as_json: bool) -> None:
    """List the sources in sources.toml with their state. Example: watcher sources --json"""
    config = obj.config()
    states = _source_states(obj, config)
    if as_json:
        click.echo(json.dumps(states, indent=2, ensure_ascii=False))
        return
    for s in states:
        flag = ("" if s["enabled"] else " (disabled)") + (f"  last error: {s['last_error']}" if s["last_error"] else "")
        click.echo(f"{s['id']:<36} {s['kind']:<12} {s['org']:<28} {s['state']:<12} v{s['versions']}{flag}")
        click.echo(f"    {s['url']}")
    enabled = sum(1 for s in states if s["enabled"])
    click.echo(f"{len(states)} sources, {enabled} enabled, {len({s['org'] for s in states})} organisations")


def _source_states(obj: Context, config: Config) -> list[dict[str, Any]]:
    if not (obj.data / "watcher.db").exists():
        return [source_health(s, None, config) for s in config.sources]
    with obj.store() as store:
        return [source_health(s, store, config) for s in [*config.sources, *discovered_sources(store, config)]]



@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of alerts with their deliveries.")
@click.option("--limit", type=int, default=20, show_default=True, help="At most this many alerts.")
@click.option("--since", default=None, help="Only alerts made at or after this ISO 8601 time, or a duration "
              "back from now such as 7d.")
@click.pass_context
def alerts(ctx: click.Context, as_json: bool, limit: int, since: str | None) -> None:
    """Alerts, newest first, with the delivery status on each channel. Example: watcher alerts --limit 5"""
    if ctx.invoked_subcommand is not None:
        return
    with ctx.obj.store() as store:
        rows = store.alert_rows(limit=limit, since=_since(since))
    if as_json:
        records = [{**{k: v for k, v in row.items() if k != "payload"}, "alert": json.loads(row["payload"])}
                   for row in rows]
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no alerts recorded")
    for row in rows:
        click.echo(f"#{row['id']:<5} {row['created_at']}  {row['event']:<16} {row['severity']:<6} "
                   f"{row['headline']}")
        click.echo(f"       file: alerts/{row['file']}.md")
        if not row["deliveries"]:
            click.echo("       (no channel wanted it; recorded in alerts/ only)")
        for delivery in row["deliveries"]:
            click.echo(f"       {delivery['channel']}: {_delivery_status(delivery)}")


def _delivery_status(d: dict[str, Any]) -> str:
    attempts = f"{d['attempts']} attempt{'s' if d['attempts'] != 1 else ''}"
    if d["status"] == "delivered":
        return f"delivered {d['delivered_at']} ({attempts}), id {d['delivery_id']}"
    if d["status"] == "digest":
        return (f"sent in digest {d['digest_key']}" if d["digest_key"]
                else f"waiting for the digest at {d['due_at']}")
    state = "given up" if d["status"] == "failed" else f"pending, next attempt {d['due_at']}"
    error = f"; last error: {d['last_error']}" if d["last_error"] else ""
    return f"{state} ({attempts}){error}"


@alerts.command("test")
@click.option("--channel", "channel_name", default=None, help="Only this channel (default: every channel).")
@click.pass_obj
def alerts_test(obj: Context, channel_name: str | None) -> None:
    """Send a made-up sample alert now and report success or the exact failure. Example:
    watcher alerts test --channel team-mail"""
    config = obj.config()
    channels = [c for c in config.channels if channel_name in (None, c.name)]
    if not channels:
        names = ", ".join(c.name for c in config.channels) or "none configured"
        raise ConfigError(f"{config.path}: no [[channel]] named {channel_name!r} (channels: {names})"
                          if channel_name else f"{config.path}: no [[channel]] configured")
    now = iso(datetime.now(UTC))
    alert, failed = sample_alert(now, config.web.base_url), 0
    for channel in channels:
        delivery_id = f"test-{now.replace(':', '')}-{channel.name}"
        try:
            send_alert(channel, alert, delivery_id, timeout=config.alerts.send_timeout)
        except DeliveryError as e:
            failed += 1
            click.echo(f"{channel.name} ({channel.type}): FAILED: {e.reason}: {e.detail}")
            continue
        click.echo(f"{channel.name} ({channel.type}): ok, delivery id {delivery_id}")
    if failed:
        sys.exit(1)


@alerts.command("retry")
@click.option("--channel", "channel_name", default=None, help="Only this channel.")
@click.pass_obj
def alerts_retry(obj: Context, channel_name: str | None) -> None:
    """Attempt every undelivered alert now, given-up ones included. Example: watcher alerts retry"""
    config = obj.config()
    if channel_name and channel_name not in {c.name for c in config.channels}:
        raise ConfigError(f"{config.path}: no [[channel]] named {channel_name!r}")
    now = datetime.now(UTC)
    with obj.writing("retry"), obj.store() as store:
        queued = store.requeue_deliveries(iso(now), channel_name)
        report = deliver(store, config, now)
    for failure in report.failed:
        click.echo(f"not delivered: {failure}", err=True)
    click.echo(f"{queued} undelivered; {report.line()}")
    if report.failed:
        sys.exit(1)


@main.command()
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines to stderr as text or as one JSON object per line.")
@click.option("--web", is_flag=True, help="Also serve the web UI (as `watcher serve`) from this process.")
@click.option("--host", default=None, help="With --web: address to listen on (default: [web] host).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="With --web: port to listen on (default: [web] port).")
@click.pass_context
def daemon(ctx: click.Context, log_format: str, web: bool, host: str | None, port: int | None) -> None:
    """Check every source on its own schedule until stopped (SIGTERM/SIGINT); SIGHUP reloads
    sources.toml. Example: watcher daemon --web --log-format json"""
    obj: Context = ctx.obj
    configure_logging(log_format, verbose=ctx.find_root().params.get("verbose", False))
    run_daemon(obj.config_path, obj.data, web=web, host=host, port=port)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the daemon and every source.")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """Per source: last check, last change, failures in a row, next run; works while the daemon runs.
    Example: watcher status"""
    config = obj.config()
    holder = read_holder(obj.data / "watcher.lock")
    with obj.store() as store:
        rows = _status_rows(config, store)
    running = holder is not None and holder.role == "daemon"
    if as_json:
        click.echo(json.dumps({"daemon": {"running": running, "pid": holder.pid if running else None},
                               "sources": rows}, indent=2, ensure_ascii=False))
        return
    click.echo(f"daemon: running (pid {holder.pid})" if running and holder else
               "daemon: not running" + (f"; `watcher {holder.role}` (pid {holder.pid}) is writing" if holder else ""))
    click.echo(f"{'source':<34} {'state':<11} {'last check':<21} {'outcome':<13} {'last change':<32} "
               f"{'fails':>5}  next run")
    for r in rows:
        change = f"{r['last_change_at']} {r['last_change']}" if r["last_change_at"] else "-"
        click.echo(f"{r['id']:<34} {r['state']:<11} {r['last_check_at'] or '-':<21} {r['last_outcome'] or '-':<13} "
                   f"{change:<32} {r['failures_in_a_row']:>5}  {(r['next_run_at'] or '-') if running else '-'}")


def _status_rows(config: Config, store: Store) -> list[dict[str, Any]]:
    schedule = store.scheduled()
    rows = []
    for source in [*config.sources, *discovered_sources(store, config)]:
        health = source_health(source, store, config)
        fetch, change = store.last_fetch(source.id), store.last_change(source.id)
        rows.append({"id": source.id, "org": source.org, "enabled": source.enabled, "state": health["state"],
                     "last_check_at": fetch["started_at"] if fetch else None,
                     "last_outcome": fetch["outcome"] if fetch else None,
                     "last_error": health["last_error"],
                     "last_change_at": change["detected_at"] if change else None,
                     "last_change": change["kind"] if change else None,
                     "last_change_severity": change["severity"] if change else None,
                     "failures_in_a_row": health["failures_in_a_row"],
                     "next_run_at": (schedule.get(source.id) or {}).get("next_run_at") if source.enabled else None})
    return rows


main.add_command(serve)
