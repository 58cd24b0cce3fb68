"""Search across every stored version: which versions of which documents contain a phrase, when it first
appeared and when it last appeared (or disappeared); and keeping the search index complete.

A phrase matches as a case-insensitive substring of one text block (a line of the normalized text), so it
is found in any script; it needs at least three characters (the index is made of trigrams).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from watcher.errors import StoreError
from watcher.normalize.text import clean_line
from watcher.store import Store, iso
from watcher.web import params
from watcher.web.context import json_response, render, store_of

log = logging.getLogger(__name__)

MIN_CHARS = 3
MAX_CHARS = 300
MAX_BLOCKS = 500          # matching blocks read per search; more and the answer says it was cut
SHOWN = 100               # documents listed on the page (the JSON has them all)
INDEX_BATCH = 100         # versions per transaction when catching up
CATCH_UP_PER_SEARCH = 20  # versions a search indexes first, so new versions show up without a restart
SNIPPET_BEFORE, SNIPPET_AFTER = 90, 160

_index_lock = threading.Lock()  # one indexer per process; other processes wait on SQLite's write lock


@dataclass(frozen=True)
class Appearance:
    """Where a phrase occurs in one document: the versions holding it and when it came and went."""

    source_id: str
    org: str
    title: str
    versions: tuple[int, ...]
    first: dict[str, Any]       # {version, first_seen_at} of the first version holding it
    last: dict[str, Any]        # {version, last_seen_at} of the last version holding it
    gone: dict[str, Any] | None  # {version, first_seen_at} of the version after `last`, when it has gone
    latest: int
    line: int                   # line of the phrase in the last version holding it
    snippet: tuple[str, str, str]  # text before the match, the match, text after

    @property
    def ranges(self) -> list[tuple[int, int]]:
        """The versions holding it as runs: [(1, 3), (5, 5)]."""
        runs: list[tuple[int, int]] = []
        for number in self.versions:
            if runs and runs[-1][1] == number - 1:
                runs[-1] = (runs[-1][0], number)
            else:
                runs.append((number, number))
        return runs

    def to_json(self) -> dict[str, Any]:
        """This appearance as a JSON-ready dict."""
        return {"source": self.source_id, "org": self.org, "title": self.title,
                "versions": list(self.versions),
                "first": self.first, "last": self.last, "gone": self.gone, "still_present": self.gone is None,
                "latest_version": self.latest, "line": self.line, "text": "".join(self.snippet)}


@dataclass(frozen=True)
class SearchResult:
    """The answer to one phrase: documents (most recently seen first), and whether the search was cut."""

    phrase: str
    documents: tuple[Appearance, ...]
    cut: bool
    problem: str | None = None


def index_pending(store: Store, now: datetime, *, limit: int | None = None) -> int:
    """Add versions missing from the search index (oldest first, at most `limit`); how many were added."""
    done = 0
    with _index_lock:
        while limit is None or done < limit:
            batch = store.unindexed_versions(INDEX_BATCH if limit is None else min(INDEX_BATCH, limit - done))
            if not batch:
                break
            texts = [(version_id, _text_of(store, sha256)) for version_id, sha256 in batch]
            with store.write_lock():
                for version_id, text in texts:
                    store.index_version(version_id, text, iso(now))
            done += len(batch)
    return done


def _text_of(store: Store, sha256: str) -> str:
    try:
        return store.read_blob(sha256).decode("utf-8")
    except (StoreError, UnicodeDecodeError) as e:
        log.warning("search index: %s; the version is indexed without text", e)
        return ""


def catch_up(store: Store) -> None:
    """Index a few versions stored since the last search (a busy database only delays it)."""
    try:
        if store.unindexed_count():
            index_pending(store, datetime.now(UTC), limit=CATCH_UP_PER_SEARCH)
    except sqlite3.OperationalError as e:
        log.warning("search index not updated now: %s", e)


def find_phrase(store: Store, phrase: str, *, org: str | None = None,
                source: str | None = None) -> SearchResult:
    """Every document and version whose text holds the phrase."""
    phrase = clean_line(phrase)
    if len(phrase) < MIN_CHARS:
        return SearchResult(phrase, (), False, f"type at least {MIN_CHARS} characters")
    try:
        rows, cut = store.search_occurrences('"' + phrase.replace('"', '""') + '"', org=org, source=source,
                                             max_blocks=MAX_BLOCKS)
    except sqlite3.OperationalError as e:
        return SearchResult(phrase, (), False, f"cannot search for this: {e}")
    if not rows:
        return SearchResult(phrase, (), cut)
    hits: dict[str, dict[int, tuple[int, int]]] = {}  # source -> version -> (line, block) of its first hit
    for source_id, number, line, block_id in rows:
        versions = hits.setdefault(source_id, {})
        if number not in versions or line < versions[number][0]:
            versions[number] = (line, block_id)
    dates: dict[str, dict[int, tuple[str, str]]] = {}
    for source_id, number, first_seen, last_seen in store.version_dates(list(hits)):
        dates.setdefault(source_id, {})[number] = (first_seen, last_seen)
    names = store.source_names(list(hits))
    texts = store.block_texts([versions[max(versions)][1] for versions in hits.values()])
    found = [_appearance(phrase, source_id, names[source_id], versions, dates[source_id], texts)
             for source_id, versions in hits.items()]
    found.sort(key=lambda a: (a.last["last_seen_at"], a.source_id), reverse=True)
    return SearchResult(phrase, tuple(found), cut)


def _appearance(phrase: str, source_id: str, name: tuple[str, str], hits: dict[int, tuple[int, int]],
                dates: dict[int, tuple[str, str]], texts: dict[int, str]) -> Appearance:
    numbers = sorted(hits)
    first, last, latest = numbers[0], numbers[-1], max(dates)
    line, block_id = hits[last]
    following = last + 1 if last + 1 in dates else None
    return Appearance(
        source_id=source_id, org=name[0], title=name[1], versions=tuple(numbers),
        first={"version": first, "first_seen_at": dates[first][0]},
        last={"version": last, "last_seen_at": dates[last][1]},
        gone={"version": following, "first_seen_at": dates[following][0]} if following else None,
        latest=latest, line=line, snippet=snippet(texts[block_id], phrase))


def snippet(text: str, phrase: str) -> tuple[str, str, str]:
    """(before, match, after) around the first case-insensitive occurrence, shortened with ellipses."""
    found = re.search(re.escape(phrase), text, re.IGNORECASE)
    if found is None:
        return "", "", _shorten_end(text, SNIPPET_BEFORE + SNIPPET_AFTER)
    before, after = text[:found.start()], text[found.end():]
    if len(before) > SNIPPET_BEFORE:
        before = "\u2026" + before[-SNIPPET_BEFORE:].split(" ", 1)[-1]
    return before, found.group(0), _shorten_end(after, SNIPPET_AFTER)


def _shorten_end(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "\u2026"


def _search(request: Request) -> tuple[SearchResult | None, int, dict[str, str | None]]:
    query = {"q": params.text(request, "q", MAX_CHARS), "org": params.text(request, "org"),
             "source": params.text(request, "source")}
    with store_of(request) as store:
        if query["q"] is None:
            return None, store.unindexed_count(), query
        catch_up(store)
        result = find_phrase(store, query["q"], org=query["org"], source=query["source"])
        return result, store.unindexed_count(), query


def search_page(request: Request) -> Response:
    """GET /search?q=...: the documents and versions holding a phrase."""
    result, unindexed, query = _search(request)
    return render(request, "search.html", result=result, unindexed=unindexed, query=query,
                  min_chars=MIN_CHARS, max_blocks=MAX_BLOCKS, shown=SHOWN)


def search_json(request: Request) -> Response:
    """GET /search.json?q=...: the same answer as JSON."""
    result, unindexed, query = _search(request)
    if result is None:
        raise params.bad("q: a phrase to search for is required")
    return json_response({"query": result.phrase, "problem": result.problem, "cut": result.cut,
                          "unindexed_versions": unindexed,
                          "documents": [d.to_json() for d in result.documents]})
