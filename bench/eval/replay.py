"""Replay one stream (the versions of one document) through the real `watcher` command line.

For a stream and a format (html or pdf): a fresh data folder with a sources.toml holding the document
(`kind = "framework"`, fixed URL, `explained_by` the updates page) and the provider's updates page
(`kind = "changelog"`); a LocalSite serving both. Then, for every version in served order:

    put the rendered version at the document's URL (a re-upload at the same URL, on its own day);
    append that version's revision account (if the corpus has one) to the updates page;
    watcher --config X check --at <day>T12:00:00Z

and finally two noise-only steps (the last version and the updates page rendered again with new site
noise / PDF metadata): six hours later, and after the grace window (so that explanations still
pending are settled). Neither should produce any change. Then `watcher changes
--json`, `history --json` and `show` collect what watcher recorded.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .httpserve import LocalSite
from .layout import DocVersion, Stream, slug
from .render import UpdateEntry, blocks, render_html, render_pdf, render_updates

FORMATS = ("html", "pdf")
CHECK_TIMEOUT = 300
KEEP_MARKER = ".eval-corpus-run"
STEPS_FILE = "eval-steps.json"
GRACE_WINDOW = "30d"  # written into each replay's [classify] grace_window
SETTLE_AFTER = timedelta(days=45)  # the settle step comes this long after the last version


@dataclass
class Step:
    """One check of a replay."""

    index: int
    kind: str  # "version", "reupload", "noise" (re-render 6 h later) or "settle" (re-render after the grace window)
    label: str
    at: str  # the --at timestamp, ISO 8601 UTC
    posted_account: bool = False
    check_line: str = ""
    returncode: int | None = None
    stderr: str = ""
    seconds: float = 0.0


@dataclass
class StreamRun:
    """What one replay of one stream in one format produced."""

    stream: str
    fmt: str
    doc_source: str
    updates_source: str
    steps: list[Step] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)  # the document's, oldest first
    updates_changes: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)  # history --json of the document
    texts: dict[int, str] = field(default_factory=dict)  # version number -> normalized text
    seconds: float = 0.0
    render_seconds: float = 0.0
    error: str | None = None
    data_dir: str | None = None

    def step_at(self, at: str) -> Step | None:
        """The step whose --at equals this timestamp (compared as instants)."""
        moment = parse_time(at)
        return next((s for s in self.steps if parse_time(s.at) == moment), None)

    def changes_of(self, step: Step) -> list[dict[str, Any]]:
        """The document's changes detected by this step."""
        moment = parse_time(step.at)
        return [c for c in self.changes if parse_time(c["detected_at"]) == moment]

    def updates_changes_of(self, step: Step) -> list[dict[str, Any]]:
        """The updates page's changes detected by this step."""
        moment = parse_time(step.at)
        return [c for c in self.updates_changes if parse_time(c["detected_at"]) == moment]


def parse_time(value: str) -> datetime:
    """ISO 8601 (with Z) as an aware datetime."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """2025-02-04T12:00:00Z"""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_steps(stream: Stream) -> list[tuple[str, DocVersion, datetime]]:
    """(kind, version, when) for every check of the stream: versions at noon of the day they went up
    (a later minute if two fall on one day), then the noise-only re-render six hours after the last,
    then a second noise-only re-render after the grace window ("settle"), so that explanations still
    pending are settled by watcher's re-evaluation."""
    plan: list[tuple[str, DocVersion, datetime]] = []
    previous: datetime | None = None
    for version in stream.versions:
        day = version.served_on
        when = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)
        if previous is not None and when <= previous:
            when = previous + timedelta(minutes=1)
        plan.append(("reupload" if version.is_reupload else "version", version, when))
        previous = when
    if plan:
        last_version, last_at = plan[-1][1], plan[-1][2]
        plan.append(("noise", last_version, last_at + timedelta(hours=6)))
        plan.append(("settle", last_version, last_at + SETTLE_AFTER))
    return plan


def watcher_command() -> list[str]:
    """The installed `watcher` script next to this Python, else `python -m watcher.cli`."""
    script = Path(sys.executable).parent / "watcher"
    return [str(script)] if script.exists() else [sys.executable, "-m", "watcher.cli"]


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_config(folder: Path, stream: Stream, doc_id: str, updates_id: str, doc_url: str,
                 updates_url: str) -> Path:
    """sources.toml for one replay: the document and the provider's updates page."""
    org = stream.provider_name or stream.provider
    text = f"""# written by bench/eval_corpus.py for one replay; safe to delete
[fetch]
delay_per_host = "0s"
retries = 0
backoff = "0s"

[classify]
grace_window = "{GRACE_WINDOW}"

[[source]]
id = {_toml(doc_id)}
org = {_toml(org)}
title = {_toml(stream.title or stream.doc)}
kind = "framework"
url = {_toml(doc_url)}
explained_by = [{_toml(updates_id)}]

[[source]]
id = {_toml(updates_id)}
org = {_toml(org)}
title = {_toml(f"{org} policy updates")}
kind = "changelog"
url = {_toml(updates_url)}
"""
    path = folder / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(command: list[str], timeout: int = CHECK_TIMEOUT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WATCHER_CONFIG", "WATCHER_DATA")}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def _json_of(command: list[str]) -> Any:
    done = _run(command)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[-3:])} exited {done.returncode}: {done.stderr.strip()[:500]}")
    return json.loads(done.stdout or "null")


def _prepare_folder(keep: Path | None, name: str) -> tuple[Path, tempfile.TemporaryDirectory[str] | None]:
    if keep is None:
        holder = tempfile.TemporaryDirectory(prefix=f"eval-{name}-")
        return Path(holder.name), holder
    folder = keep / name
    if folder.exists():
        if not (folder / KEEP_MARKER).exists():
            raise RuntimeError(f"{folder} exists and was not made by this command; not touching it")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / KEEP_MARKER).write_text("made by bench/eval_corpus.py\n", encoding="utf-8")
    return folder, None


def replay(stream: Stream, fmt: str, *, keep: Path | None = None, seed: str = "0",
           with_reupload_accounts: bool = True) -> StreamRun:
    """Replay the stream in one format; never raises (errors land in StreamRun.error)."""
    doc_id = slug(f"{stream.provider}-{stream.doc}")[:60].strip("-")
    updates_id = slug(f"{stream.provider}-updates")
    run = StreamRun(stream=stream.key, fmt=fmt, doc_source=doc_id, updates_source=updates_id)
    started = time.perf_counter()
    folder, holder = _prepare_folder(keep, f"{stream.key}-{fmt}")
    run.data_dir = str(folder) if keep else None
    try:
        with LocalSite() as site:
            _replay_in(run, stream, fmt, site, folder, seed, with_reupload_accounts)
    except Exception as e:  # noqa: BLE001 - one broken stream must not stop the evaluation
        run.error = f"{type(e).__name__}: {e}"
    finally:
        run.seconds = time.perf_counter() - started
        if holder is not None:
            holder.cleanup()
    return run


def _replay_in(run: StreamRun, stream: Stream, fmt: str, site: LocalSite, folder: Path, seed: str,
               with_reupload_accounts: bool) -> None:
    doc_path = f"/policies/{stream.doc}" if fmt == "html" else f"/files/{stream.doc}.pdf"
    config = write_config(folder, stream, run.doc_source, run.updates_source, site.url(doc_path),
                          site.url("/updates"))
    base = [*watcher_command(), "--config", str(config)]
    site_name = stream.provider_name or stream.provider
    entries: list[UpdateEntry] = []
    parsed: dict[str, list] = {}
    for index, (kind, version, when) in enumerate(plan_steps(stream)):
        at = iso(when)
        step = Step(index=index, kind=kind, label=version.label, at=at)
        rng = random.Random(f"{seed}|{stream.key}|{fmt}|{index}")
        render_started = time.perf_counter()
        if version.label not in parsed:
            parsed[version.label] = blocks(version.read())
        found = parsed[version.label]
        if fmt == "html":
            body, content_type = render_html(found, title=stream.title, site=site_name, rng=rng), "text/html; charset=utf-8"
        else:
            body = render_pdf(found, title=stream.title, running_header=f"{site_name} | {stream.title}",
                              author=site_name, created=when, rng=rng)
            content_type = "application/pdf"
        if kind in ("version", "reupload") and version.account is not None and (with_reupload_accounts or kind != "reupload"):
            entries.append(UpdateEntry(posted=when.date().isoformat(),
                                       label=f"{stream.title} {version.base_label}",
                                       account=version.account.read_text(encoding="utf-8")))
            step.posted_account = True
        updates = render_updates(entries, site=site_name, rng=rng)
        run.render_seconds += time.perf_counter() - render_started
        site.put(doc_path, body, content_type)
        site.put("/updates", updates, "text/html; charset=utf-8")
        check_started = time.perf_counter()
        done = _run([*base, "check", "--at", at])
        step.seconds = time.perf_counter() - check_started
        step.returncode = done.returncode
        step.check_line = (done.stdout.strip().splitlines() or [""])[-1]
        step.stderr = done.stderr.strip()[-2000:]
        run.steps.append(step)
    (folder / STEPS_FILE).write_text(json.dumps({"stream": run.stream, "format": fmt, "doc_source": run.doc_source,
                                                 "updates_source": run.updates_source,
                                                 "steps": [vars(s) for s in run.steps]}, indent=1),
                                     encoding="utf-8")
    collect(run, base)


def collect(run: StreamRun, base: list[str]) -> None:
    """What watcher recorded: changes (document and updates page), versions and their texts."""
    records = _json_of([*base, "changes", "--json"]) or []
    records.sort(key=lambda c: (parse_time(c["detected_at"]), c["id"]))
    run.changes = [c for c in records if c.get("source") == run.doc_source]
    run.updates_changes = [c for c in records if c.get("source") == run.updates_source]
    run.versions = _json_of([*base, "history", run.doc_source, "--json"]) or []
    for v in run.versions:
        done = _run([*base, "show", run.doc_source, str(v["version"])])
        if done.returncode == 0:
            run.texts[int(v["version"])] = done.stdout.removesuffix("\n")


def load_kept(folder: Path) -> StreamRun:
    """A replay kept with --keep, read back (steps from eval-steps.json, the rest from watcher)."""
    saved = json.loads((folder / STEPS_FILE).read_text(encoding="utf-8"))
    run = StreamRun(stream=saved["stream"], fmt=saved["format"], doc_source=saved["doc_source"],
                    updates_source=saved["updates_source"], steps=[Step(**s) for s in saved["steps"]],
                    data_dir=str(folder))
    run.seconds = sum(s.seconds for s in run.steps)
    try:
        collect(run, [*watcher_command(), "--config", str(folder / "sources.toml")])
    except Exception as e:  # noqa: BLE001
        run.error = f"{type(e).__name__}: {e}"
    return run
