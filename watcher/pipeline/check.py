"""Check sources: fetch, normalize, quarantine, store, diff; the flow is drawn in the package docstring."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from watcher.classify import Taxonomy, load_taxonomy
from watcher.errors import NormalizeError
from watcher.fetch import Capture, Fetcher, charset_of, sniff_format
from watcher.follow import newest_link
from watcher.normalize import Document, decode_body, to_document
from watcher.pipeline import assess, discover
from watcher.quarantine import not_content_reason, shrank_suspiciously
from watcher.sources import Config, FetchSettings, Source
from watcher.store import Store, Version, iso

log = logging.getLogger(__name__)

FAILED, UNCHANGED, NEW_VERSION, GONE = "failed", "unchanged", "new_version", "gone"
LINK_TRACKING_KINDS = ("index", "changelog", "announcement")


@dataclass(frozen=True)
class SourceResult:
    """What one check of one source came to."""

    source_id: str
    outcome: str  # failed | unchanged | new_version | gone (404/410 after having content)
    change_kind: str | None = None
    change_id: int | None = None
    error: str | None = None


@dataclass
class CheckSummary:
    """The outcome of one pass over the sources."""

    results: list[SourceResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        """How many sources ended with this outcome."""
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def changes(self) -> int:
        """How many change records this pass added."""
        return sum(1 for r in self.results if r.change_id is not None)

    @property
    def all_failed(self) -> bool:
        """Every checked source failed."""
        return bool(self.results) and self.count(FAILED) == len(self.results)

    def line(self) -> str:
        """The one-line summary printed at the end of `watcher check`."""
        return (f"checked {len(self.results)}, unchanged {self.count(UNCHANGED)}, new versions "
                f"{self.count(NEW_VERSION)}, gone {self.count(GONE)}, changes {self.changes}, "
                f"failures {self.count(FAILED)}")


@dataclass
class Run:
    """What one pass shares: configuration, store, fetcher, the time it is stamped with, the taxonomy."""

    config: Config
    store: Store
    fetcher: Fetcher
    now: datetime | None
    taxonomy: Taxonomy

    @property
    def settings(self) -> FetchSettings:
        """The [fetch] settings."""
        return self.config.fetch

    def seen_at(self, capture: Capture) -> datetime:
        """When a capture counts as taken: --at if given, else when its fetch started."""
        return self.now or capture.started_at


Progress = Callable[[SourceResult], None]


async def run_check(config: Config, store: Store, sources: list[Source], *, now: datetime | None = None,
                    transport: httpx.AsyncBaseTransport | None = None,
                    progress: Progress | None = None) -> CheckSummary:
    """Check the given sources once, concurrently, then re-evaluate pending explanations."""
    store.sync_sources(config.sources, now or datetime.now(UTC))
    async with Fetcher(config.fetch, transport=transport) as fetcher:
        run = Run(config, store, fetcher, now, load_taxonomy(config.classify.taxonomy))
        summary = await check_sources(run, sources, progress)
    assess.reevaluate(store, config, now or datetime.now(UTC))
    return summary


def new_run(config: Config, store: Store, fetcher: Fetcher, now: datetime | None = None) -> Run:
    """A Run over a fetcher that outlives it (the daemon shares one, so politeness spans all its jobs)."""
    return Run(config, store, fetcher, now, load_taxonomy(config.classify.taxonomy))


async def check_sources(run: Run, sources: list[Source], progress: Progress | None = None) -> CheckSummary:
    """Check sources concurrently (the Fetcher keeps it polite per host)."""
    summary = CheckSummary()

    async def one(source: Source) -> None:
        result = await check_source(run, source)
        summary.results.append(result)
        if progress:
            progress(result)

    await asyncio.gather(*(one(source) for source in sources))
    return summary


async def check_source(run: Run, source: Source) -> SourceResult:
    """Fetch, normalize, store and diff one source; never raises for a failing source."""
    try:
        return await _check_source(run, source)
    except Exception as e:  # one broken source must not stop the others; the error is kept
        log.exception("source %s: unexpected error", source.id)
        return SourceResult(source.id, FAILED, error=f"internal error: {type(e).__name__}: {e}")


async def _check_source(run: Run, source: Source) -> SourceResult:
    url = source.url
    if url is None:
        url, error = await _follow_index(run, source)
        if url is None:
            return SourceResult(source.id, FAILED, error=error)
    store = run.store
    removed = store.last_change_kind(source.id) == "removed"
    previous = store.last_good_fetch(source.id, url)
    conditional = previous if previous and not removed else {}
    capture = await run.fetcher.fetch(url, source, etag=conditional.get("etag"),
                                      last_modified=conditional.get("last_modified"))
    if capture.gone:
        return _record_gone(run, source, capture)
    if capture.error:
        store.record_fetch(_fetch_row(source, capture, run.seen_at(capture), "error"))
        return SourceResult(source.id, FAILED, error=capture.error)
    latest = store.latest_version(source.id)
    if capture.not_modified:
        return _record_not_modified(run, source, capture, latest, previous)
    return await _record_content(run, source, capture, latest, removed, previous)


async def _follow_index(run: Run, source: Source) -> tuple[str | None, str | None]:
    """The URL of the newest document linked from the source's index page, or an error."""
    assert source.index is not None and source.follow is not None
    capture = await run.fetcher.fetch(source.index, source)
    row = _fetch_row(source, capture, run.seen_at(capture), "index" if capture.ok else "error")
    if capture.body is not None:
        row["raw_sha256"] = await run.store.save_blob_async(capture.body, "raw", run.seen_at(capture))
    if not capture.ok or capture.body is None:
        run.store.record_fetch(row)
        return None, f"index page {source.index}: {capture.error}"
    try:
        page = await asyncio.to_thread(normalize_capture, source, capture, run.settings)
    except NormalizeError as e:
        run.store.record_fetch({**row, "outcome": "bad_content", "error": str(e)})
        return None, f"index page {source.index}: {e}"
    link = newest_link(page.links, source.follow)
    if link is None:
        error = f"no link on index page {source.index} matches follow {source.follow.pattern!r}"
        run.store.record_fetch({**row, "outcome": "error", "error": error})
        return None, error
    run.store.record_fetch(row)
    return link.url, None


def _record_gone(run: Run, source: Source, capture: Capture) -> SourceResult:
    """404/410: a `removed` change once, when the source had content; otherwise just a failed fetch."""
    store, seen_at = run.store, run.seen_at(capture)
    latest = store.latest_version(source.id)
    already_removed = store.last_change_kind(source.id) == "removed"
    with store.db.atomic():
        fetch_id = store.record_fetch(_fetch_row(source, capture, seen_at, "gone"))
        if latest is None or already_removed:
            return SourceResult(source.id, FAILED if latest is None else GONE, error=capture.error)
        change_id = store.add_change({
            "source_id": source.id, "kind": "removed", "detected_at": iso(seen_at),
            "old_version_id": latest.id, "new_version_id": None, "url": capture.final_url,
            "old_url": latest.url, "fetch_id": fetch_id, "chars_removed": latest.text_chars,
            **assess.removal_assessment(capture.status),
        })
    return SourceResult(source.id, GONE, "removed", change_id)


def _record_not_modified(run: Run, source: Source, capture: Capture, latest: Version | None,
                         previous: dict[str, Any] | None) -> SourceResult:
    """304: the latest version was seen again (at a new address, if the source moved)."""
    store, seen_at = run.store, run.seen_at(capture)
    with store.db.atomic():
        fetch_id = store.record_fetch(_fetch_row(source, capture, seen_at, "not_modified"))
        if latest is None:
            return SourceResult(source.id, UNCHANGED)
        store.touch_version(latest.id, seen_at)
        store.link_fetch(fetch_id, latest.id)
        moved = _moved(capture, previous)
        change_id = _add_change(run, source, "moved", capture, fetch_id, latest, latest,
                                previous, assess.same_text_assessment("moved", capture.final_url, {})) if moved else None
    return SourceResult(source.id, UNCHANGED, "moved" if moved else None, change_id)


async def _record_content(run: Run, source: Source, capture: Capture, latest: Version | None, removed: bool,
                          previous: dict[str, Any] | None) -> SourceResult:
    assert capture.body is not None
    store, seen_at = run.store, run.seen_at(capture)
    raw_sha256 = await store.save_blob_async(capture.body, "raw", seen_at)
    row = {**_fetch_row(source, capture, seen_at, "unchanged"), "raw_sha256": raw_sha256}
    try:
        document = await asyncio.to_thread(normalize_capture, source, capture, run.settings)
    except NormalizeError as e:
        store.record_fetch({**row, "outcome": "bad_content", "error": str(e)})
        return SourceResult(source.id, FAILED, error=str(e))
    rejection = await _rejection(run, source, capture, document, latest)
    if rejection:
        store.record_fetch({**row, "outcome": "quarantined", "error": rejection})
        return SourceResult(source.id, FAILED, error=f"quarantined: {rejection}")
    text = document.text
    text_sha256 = await store.save_blob_async(text.encode("utf-8"), "text", seen_at)
    links = [{"url": link.url, "text": link.text} for link in document.links]
    same_text = latest is not None and latest.text_sha256 == text_sha256
    same = same_text and latest is not None and (source.kind not in LINK_TRACKING_KINDS or latest.links == links)
    kind = _change_kind(latest, same, removed, _moved(capture, previous),
                        _same_file(raw_sha256, latest, previous))
    assessment = await _assess(run, source, kind, latest, same_text, text, links, seen_at, capture.final_url)
    with store.db.atomic():
        fetch_id = store.record_fetch({**row, "outcome": "unchanged" if same else "new_version"})
        if same and latest is not None:
            version = latest
            store.touch_version(latest.id, seen_at)
        else:
            version = store.add_version(_version_row(source, capture, document, raw_sha256, text_sha256,
                                                     links, fetch_id, seen_at))
            store.index_version(version.id, text, iso(seen_at))
        store.link_fetch(fetch_id, version.id)
        change_id = None
        if kind and assessment is not None:
            change_id = _add_change(run, source, kind, capture, fetch_id, latest, version,
                                    previous if kind == "moved" else None, assessment)
            if latest is not None and source.kind in LINK_TRACKING_KINDS:
                discover.record_discoveries(store, run.config, source, assessment.get("details") or {},
                                            seen_at, fetch_id)
    return SourceResult(source.id, UNCHANGED if same else NEW_VERSION, kind, change_id)


async def _assess(run: Run, source: Source, kind: str | None, latest: Version | None, same_text: bool,
                  text: str, links: list[dict[str, str]], seen_at: datetime,
                  final_url: str) -> dict[str, Any] | None:
    """The assessment columns of the change (None when there is none), computed off the event loop."""
    if kind is None:
        return None
    old_text = await asyncio.to_thread(run.store.read_text, latest) if latest and not same_text else ""
    details = discover.link_changes(latest.links if latest else None, links)
    evidence = assess.gather_evidence(run.store, run.config, source, seen_at) if latest else None
    return await asyncio.to_thread(
        assess.assess_change, run.config, run.taxonomy, source, kind, old_text if latest else None, text,
        seen_at, details, evidence, moved_to=final_url, text_changed=latest is not None and not same_text)


def _same_file(raw_sha256: str, latest: Version | None, previous: dict[str, Any] | None) -> bool:
    """These bytes were already seen for the latest version: any new text comes from watcher, not the site."""
    return latest is not None and raw_sha256 in (latest.raw_sha256, (previous or {}).get("raw_sha256"))


async def _rejection(run: Run, source: Source, capture: Capture, document: Document,
                     latest: Version | None) -> str | None:
    """Why this 200 response must not become a version, re-fetching once to confirm a large shrink."""
    assert capture.body is not None
    fmt = sniff_format(capture.body)
    raw_html = decode_body(capture.body, charset_of(capture.content_type)) if fmt == "html" else None
    previous_chars = latest.text_chars if latest else None
    reason = not_content_reason(status=capture.status or 200, fmt=fmt, raw_html=raw_html, text=document.text,
                                title=document.title, url=capture.final_url, previous_chars=previous_chars)
    if reason or latest is None or not shrank_suspiciously(previous_chars, len(document.text)):
        return reason
    again = await run.fetcher.fetch(capture.url, source)
    if not again.ok or again.body is None:
        return f"text shrank from {previous_chars} to {len(document.text)} characters and a re-fetch failed"
    try:
        confirmed = await asyncio.to_thread(normalize_capture, source, again, run.settings)
    except NormalizeError as e:
        return f"text shrank and the confirming re-fetch could not be read: {e}"
    if confirmed.text != document.text:
        return (f"text shrank from {previous_chars} to {len(document.text)} characters and a re-fetch "
                "gave different text; waiting for a stable page")
    return None


def _moved(capture: Capture, previous: dict[str, Any] | None) -> bool:
    """A permanent redirect now leads somewhere other than where this URL led last time."""
    return capture.moved_to is not None and previous is not None and previous["final_url"] != capture.final_url


def _change_kind(latest: Version | None, same: bool, removed: bool, moved: bool, same_file: bool) -> str | None:
    if latest is None:
        return "first_seen"
    if removed:
        return "restored"
    if moved:
        return "moved"
    if same:
        return None
    return "renormalized" if same_file else "modified"


def _add_change(run: Run, source: Source, kind: str, capture: Capture, fetch_id: int, old: Version | None,
                new: Version, moved_from: dict[str, Any] | None, assessment: dict[str, Any]) -> int:
    return run.store.add_change({
        "source_id": source.id, "kind": kind, "detected_at": iso(run.seen_at(capture)),
        "old_version_id": old.id if old else None, "new_version_id": new.id,
        "url": capture.final_url, "old_url": moved_from["final_url"] if moved_from else None,
        "fetch_id": fetch_id, **assessment,
    })


def normalize_capture(source: Source, capture: Capture, settings: FetchSettings) -> Document:
    """The Document of a successful capture, under the source's select/drop/ignore rules."""
    assert capture.body is not None
    return to_document(
        capture.body, fmt=sniff_format(capture.body), url=capture.final_url,
        charset=charset_of(capture.content_type), select=source.select, drop=source.drop,
        ignore=source.ignore, pdf_timeout=settings.pdf_timeout, pdf_memory=settings.pdf_memory,
    )


def _fetch_row(source: Source, capture: Capture, seen_at: datetime, outcome: str) -> dict[str, Any]:
    return {
        "source_id": source.id, "url": capture.url, "final_url": capture.final_url,
        "started_at": iso(seen_at), "elapsed_ms": round(capture.elapsed_ms, 1), "status": capture.status,
        "outcome": outcome, "error": capture.error,
        "bytes": len(capture.body) if capture.body is not None else None,
        "content_type": capture.content_type,
        "format": sniff_format(capture.body) if capture.body is not None else None,
        "etag": capture.etag, "last_modified": capture.last_modified,
        "redirects": [vars(r) for r in capture.redirects],
        "attempts": [vars(a) for a in capture.attempts],
    }


def _version_row(source: Source, capture: Capture, document: Document, raw_sha256: str, text_sha256: str,
                 links: list[dict[str, str]], fetch_id: int, seen_at: datetime) -> dict[str, Any]:
    return {
        "source_id": source.id, "text_sha256": text_sha256, "raw_sha256": raw_sha256,
        "url": capture.final_url, "format": document.format, "content_type": capture.content_type,
        "http_status": capture.status, "etag": capture.etag, "last_modified": capture.last_modified,
        "title": document.title, "text_chars": len(document.text), "links": links,
        "fetch_id": fetch_id, "first_seen_at": iso(seen_at), "last_seen_at": iso(seen_at),
    }


async def dry_run(config: Config, source: Source, *,
                  transport: httpx.AsyncBaseTransport | None = None) -> tuple[Capture, Document | None, str | None]:
    """Fetch and normalize one source without storing anything: (capture, document, error)."""
    async with Fetcher(config.fetch, transport=transport) as fetcher:
        url = source.url
        if url is None:
            assert source.index is not None and source.follow is not None
            index = await fetcher.fetch(source.index, source)
            if not index.ok:
                return index, None, f"index page {source.index}: {index.error}"
            link = newest_link(normalize_capture(source, index, config.fetch).links, source.follow)
            if link is None:
                return index, None, f"no link on index page {source.index} matches follow"
            url = link.url
        capture = await fetcher.fetch(url, source)
    if not capture.ok:
        return capture, None, capture.error or f"HTTP {capture.status}"
    try:
        return capture, await asyncio.to_thread(normalize_capture, source, capture, config.fetch), None
    except NormalizeError as e:
        return capture, None, str(e)
