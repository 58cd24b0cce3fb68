"""The check cycle: the only module that joins the stages.

    for each enabled source, concurrently (politeness is the Fetcher's job):
        url      = source.url, or the newest link matching `follow` on the `index` page
        capture  = fetch(url, conditional on the last version's ETag / Last-Modified)
        failed?  -> record the fetch; no change (a failure is never a change)
        404/410? -> record; a `removed` change if the source had content and was not already removed
        304?     -> record; the latest version was seen again
        200      -> keep the raw bytes; normalize to text; same text as the latest version?
                      yes -> seen again (a `restored` or `moved` change if that is what happened)
                      no  -> new version, diffed against the previous one: a change of kind
                             first_seen | modified | restored | moved
One source failing never stops the others; raw files and texts are on disk before rows point at them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from watcher.diff import TextDiff, compare
from watcher.errors import NormalizeError
from watcher.fetch import Capture, Fetcher, charset_of, sniff_format
from watcher.follow import newest_link
from watcher.normalize import Document, to_document
from watcher.sources import Config, FetchSettings, Source
from watcher.store import Store, Version, iso

log = logging.getLogger(__name__)

FAILED, UNCHANGED, NEW_VERSION, GONE = "failed", "unchanged", "new_version", "gone"


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


Progress = Callable[[SourceResult], None]


async def run_check(config: Config, store: Store, sources: list[Source], *, now: datetime | None = None,
                    transport: httpx.AsyncBaseTransport | None = None,
                    progress: Progress | None = None) -> CheckSummary:
    """Check the given sources once, concurrently; `now` stamps the captures (default: the clock)."""
    store.sync_sources(config.sources, now or datetime.now(UTC))
    summary = CheckSummary()
    async with Fetcher(config.fetch, transport=transport) as fetcher:
        async def one(source: Source) -> None:
            result = await check_source(source, fetcher, store, config.fetch, now=now)
            summary.results.append(result)
            if progress:
                progress(result)

        await asyncio.gather(*(one(source) for source in sources))
    return summary


async def check_source(source: Source, fetcher: Fetcher, store: Store, settings: FetchSettings, *,
                       now: datetime | None = None) -> SourceResult:
    """Fetch, normalize, store and diff one source; never raises for a failing source."""
    try:
        return await _check_source(source, fetcher, store, settings, now)
    except Exception as e:  # one broken source must not stop the others; the error is kept
        log.exception("source %s: unexpected error", source.id)
        return SourceResult(source.id, FAILED, error=f"internal error: {type(e).__name__}: {e}")


async def _check_source(source: Source, fetcher: Fetcher, store: Store, settings: FetchSettings,
                        now: datetime | None) -> SourceResult:
    url = source.url
    if url is None:
        url, error = await _follow_index(source, fetcher, store, settings, now)
        if url is None:
            return SourceResult(source.id, FAILED, error=error)
    removed = store.last_change_kind(source.id) == "removed"
    previous = store.last_good_fetch(source.id, url)
    conditional = previous if previous and not removed else {}
    capture = await fetcher.fetch(url, source, etag=conditional.get("etag"),
                                  last_modified=conditional.get("last_modified"))
    seen_at = now or capture.started_at
    if capture.gone:
        return _record_gone(source, capture, store, seen_at)
    if capture.error:
        store.record_fetch(_fetch_row(source, capture, seen_at, "error"))
        return SourceResult(source.id, FAILED, error=capture.error)
    latest = store.latest_version(source.id)
    if capture.not_modified:
        return _record_not_modified(source, capture, store, seen_at, latest, previous)
    return await _record_content(source, capture, store, settings, seen_at, latest, removed, previous)


async def _follow_index(source: Source, fetcher: Fetcher, store: Store, settings: FetchSettings,
                        now: datetime | None) -> tuple[str | None, str | None]:
    """The URL of the newest document linked from the source's index page, or an error."""
    assert source.index is not None and source.follow is not None
    capture = await fetcher.fetch(source.index, source)
    seen_at = now or capture.started_at
    row = _fetch_row(source, capture, seen_at, "index" if capture.ok else "error")
    if capture.body is not None:
        row["raw_sha256"] = store.save_blob(capture.body, "raw", seen_at)
    if not capture.ok or capture.body is None:
        store.record_fetch(row)
        return None, f"index page {source.index}: {capture.error}"
    try:
        page = await asyncio.to_thread(_normalize, source, capture, settings)
    except NormalizeError as e:
        store.record_fetch({**row, "outcome": "bad_content", "error": str(e)})
        return None, f"index page {source.index}: {e}"
    link = newest_link(page.links, source.follow)
    if link is None:
        error = f"no link on index page {source.index} matches follow {source.follow.pattern!r}"
        store.record_fetch({**row, "outcome": "error", "error": error})
        return None, error
    store.record_fetch(row)
    return link.url, None


def _record_gone(source: Source, capture: Capture, store: Store, seen_at: datetime) -> SourceResult:
    """404/410: a `removed` change once, when the source had content; otherwise just a failed fetch."""
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
        })
    return SourceResult(source.id, GONE, "removed", change_id)


async def _record_content(source: Source, capture: Capture, store: Store, settings: FetchSettings,
                          seen_at: datetime, latest: Version | None, removed: bool,
                          previous: dict[str, Any] | None) -> SourceResult:
    assert capture.body is not None
    raw_sha256 = store.save_blob(capture.body, "raw", seen_at)
    row = {**_fetch_row(source, capture, seen_at, "unchanged"), "raw_sha256": raw_sha256}
    try:
        document = await asyncio.to_thread(_normalize, source, capture, settings)
    except NormalizeError as e:
        store.record_fetch({**row, "outcome": "bad_content", "error": str(e)})
        return SourceResult(source.id, FAILED, error=str(e))
    text = document.text
    text_sha256 = store.save_blob(text.encode("utf-8"), "text", seen_at)
    moved = _moved(capture, previous)
    same_text = latest is not None and latest.text_sha256 == text_sha256
    kind = _change_kind(latest, same_text, removed, moved)
    old_text = store.read_text(latest) if latest is not None and not same_text else ""
    diff = compare(old_text, text) if kind and latest is not None and not same_text else None
    with store.db.atomic():
        fetch_id = store.record_fetch({**row, "outcome": "unchanged" if same_text else "new_version"})
        if same_text and latest is not None:
            version = latest
            store.touch_version(latest.id, seen_at)
        else:
            version = store.add_version(_version_row(source, capture, document, raw_sha256, text_sha256,
                                                     fetch_id, seen_at))
        store.link_fetch(fetch_id, version.id)
        change_id = _add_change(store, source, kind, seen_at, capture, fetch_id, latest, version,
                                previous if moved else None, diff, len(text)) if kind else None
    return SourceResult(source.id, UNCHANGED if same_text else NEW_VERSION, kind, change_id)


def _record_not_modified(source: Source, capture: Capture, store: Store, seen_at: datetime,
                         latest: Version | None, previous: dict[str, Any] | None) -> SourceResult:
    """304: the latest version was seen again (at a new address, if the source moved)."""
    with store.db.atomic():
        fetch_id = store.record_fetch(_fetch_row(source, capture, seen_at, "not_modified"))
        if latest is None:
            return SourceResult(source.id, UNCHANGED)
        store.touch_version(latest.id, seen_at)
        store.link_fetch(fetch_id, latest.id)
        moved = _moved(capture, previous)
        change_id = _add_change(store, source, "moved", seen_at, capture, fetch_id, latest, latest, previous,
                                None, 0) if moved else None
    return SourceResult(source.id, UNCHANGED, "moved" if moved else None, change_id)


def _moved(capture: Capture, previous: dict[str, Any] | None) -> bool:
    """A permanent redirect now leads somewhere other than where this URL led last time."""
    return capture.moved_to is not None and previous is not None and previous["final_url"] != capture.final_url


def _add_change(store: Store, source: Source, kind: str, seen_at: datetime, capture: Capture, fetch_id: int,
                old: Version | None, new: Version, moved_from: dict[str, Any] | None, diff: TextDiff | None,
                text_chars: int) -> int:
    return store.add_change({
        "source_id": source.id, "kind": kind, "detected_at": iso(seen_at),
        "old_version_id": old.id if old else None, "new_version_id": new.id,
        "url": capture.final_url, "old_url": moved_from["final_url"] if moved_from else None,
        "fetch_id": fetch_id,
        "chars_added": diff.chars_added if diff else (text_chars if old is None else 0),
        "chars_removed": diff.chars_removed if diff else 0,
        "hunk_count": len(diff.hunks) if diff else 0,
        "hunks": diff.to_json() if diff else [],
    })


def _change_kind(latest: Version | None, same_text: bool, removed: bool, moved: bool) -> str | None:
    if latest is None:
        return "first_seen"
    if removed:
        return "restored"
    if moved:
        return "moved"
    return None if same_text else "modified"


def _normalize(source: Source, capture: Capture, settings: FetchSettings) -> Document:
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
                 fetch_id: int, seen_at: datetime) -> dict[str, Any]:
    return {
        "source_id": source.id, "text_sha256": text_sha256, "raw_sha256": raw_sha256,
        "url": capture.final_url, "format": document.format, "content_type": capture.content_type,
        "http_status": capture.status, "etag": capture.etag, "last_modified": capture.last_modified,
        "title": document.title, "text_chars": len(document.text),
        "links": [{"url": link.url, "text": link.text} for link in document.links],
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
            link = newest_link(_normalize(source, index, config.fetch).links, source.follow)
            if link is None:
                return index, None, f"no link on index page {source.index} matches follow"
            url = link.url
        capture = await fetcher.fetch(url, source)
    if not capture.ok:
        return capture, None, capture.error or f"HTTP {capture.status}"
    try:
        return capture, await asyncio.to_thread(_normalize, source, capture, config.fetch), None
    except NormalizeError as e:
        return capture, None, str(e)
