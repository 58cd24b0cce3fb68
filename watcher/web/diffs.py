"""The diff between any two versions of a document: inline or side by side, word-level highlights, hunks
labelled with tags, direction and materiality, editorial hunks collapsed.

Between two consecutive versions with a stored change, the hunks and labels are the change's own (the ones
alerts were made from, with companion documents and the explanation verdict). For any other pair the two
texts are compared now; a hunk that is exactly a hunk of a stored change between them (the same text
before and after) keeps that change's labels, and the others are classified now (without companion
documents). Such a diff has no explanation verdict: the verdicts belong to the stored changes.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from watcher.classify import Taxonomy, classify_hunks
from watcher.diff import compare
from watcher.records import change_record
from watcher.store import Store, Version
from watcher.web import params
from watcher.web.context import json_response, render, settings_of, store_of
from watcher.web.documents import source_or_404, version_json, version_or_404
from watcher.web.hunks import HunkView, views_from_json

VIEWS = ("inline", "side")
CACHE_SIZE = 64  # computed diffs kept per app: versions never change, so an entry never goes stale

_Computed = tuple[list[dict[str, Any]], list[HunkView], dict[str, int]]


class PairCache:
    """The labelled hunks of recently computed version pairs of one data folder, least recent dropped."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, int], _Computed] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int]) -> _Computed | None:
        """The entry, now the most recent; None when absent."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
            return self._entries.get(key)

    def put(self, key: tuple[int, int], value: _Computed) -> None:
        """Remember an entry, dropping the least recent beyond `size`."""
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


@dataclass(frozen=True)
class DiffResult:
    """Two versions, their labelled hunks (JSON as in `watcher changes --json`), and the stored change."""

    old: Version
    new: Version
    hunks: list[dict[str, Any]]
    views: list[HunkView]
    stats: dict[str, int]
    change: dict[str, Any] | None  # the stored change between them, as `watcher changes --json` prints it
    stored: bool  # the hunks and labels are the stored change's (else compared and classified now)


def diff_versions(store: Store, taxonomy: Taxonomy, old: Version, new: Version,
                  cache: PairCache | None = None) -> DiffResult:
    """The labelled hunks from one version to another: the stored change's, else compared and classified
    now."""
    row = store.change_between(old.source_id, old.id, new.id) if old.id != new.id else None
    if row is not None and row["hunk_count"]:
        record = change_record(store, row)
        hunks = record["hunks"]
        return DiffResult(old, new, hunks, views_from_json(hunks), record["stats"], record, True)
    key = (old.id, new.id)
    computed = cache.get(key) if cache is not None else None
    if computed is None:
        computed = _computed(store, taxonomy, old, new)
        if cache is not None:
            cache.put(key, computed)
    hunks, views, stats = computed
    record = change_record(store, row) if row is not None else None
    return DiffResult(old, new, hunks, views, stats, record, False)


def _computed(store: Store, taxonomy: Taxonomy, old: Version, new: Version) -> _Computed:
    """The labelled hunks between two versions (worth caching: versions never change, nor do the labels
    of stored hunks, as re-evaluation only revisits explanation verdicts)."""
    old_text, new_text = store.read_text(old), store.read_text(new)
    diff = compare(old_text, new_text)
    known = _stored_labels(store, old, new)
    todo = [h for h in diff.hunks if (h.old_text, h.new_text) not in known]
    fresh = iter(classify_hunks(todo, old_text, new_text, taxonomy, companions=()))
    hunks = []
    for hunk in diff.hunks:
        labels = known.get((hunk.old_text, hunk.new_text))
        if labels is None:
            labels = {**{k: v for k, v in next(fresh).to_json().items() if k != "kind"}, "labels_from": None}
        hunks.append({**hunk.to_json(), **labels, "explanation": None})
    return hunks, views_from_json(hunks), diff.stats()


_LABELS = ("material", "editorial_reason", "tags", "direction", "section", "reasons")


def _stored_labels(store: Store, old: Version, new: Version) -> dict[tuple[str, str], dict[str, Any]]:
    """Labels of the hunks of the stored changes between two versions (old before new), by their text
    before and after; a later change's labels win."""
    if old.number >= new.number:
        return {}
    labels: dict[tuple[str, str], dict[str, Any]] = {}
    for row in store.changes_within(old.source_id, old.number, new.number):
        for hunk in json.loads(row["hunks"]):
            if "material" in hunk:
                labels[(hunk["old_text"], hunk["new_text"])] = {
                    **{k: hunk.get(k) for k in _LABELS}, "labels_from": row["id"]}
    return labels


def _diff(store: Store, request: Request) -> tuple[dict[str, Any], DiffResult, int]:
    source = source_or_404(store, request)
    old = version_or_404(store, source["id"], request.path_params["old"])
    new = version_or_404(store, source["id"], request.path_params["new"])
    newest = store.latest_version(source["id"])
    result = diff_versions(store, settings_of(request).taxonomy, old, new, request.app.state.diff_cache)
    return source, result, newest.number if newest else 0


def diff_page(request: Request) -> Response:
    """GET /sources/{id}/diff/{a}..{b}: inline (default) or ?view=side."""
    view = params.choice(request, "view", VIEWS) or "inline"
    with store_of(request) as store:
        source, result, newest = _diff(store, request)
    material = sum(1 for v in result.views if v.material)
    return render(request, "diff.html", source=source, result=result, view=view, newest=newest,
                  material=material, editorial=sum(1 for v in result.views if v.editorial))


def diff_json(request: Request) -> Response:
    """GET /sources/{id}/diff/{a}..{b}.json: as `watcher diff --json`, with labels and the versions."""
    with store_of(request) as store:
        source, result, _ = _diff(store, request)
    return json_response({
        "source": source["id"], "old": result.old.number, "new": result.new.number, "stats": result.stats,
        "hunks": result.hunks, "labels": "stored" if result.stored else "computed",
        "change": result.change["id"] if result.change else None,
        "versions": {"old": version_json(result.old), "new": version_json(result.new)},
    })
