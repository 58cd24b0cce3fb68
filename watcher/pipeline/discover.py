"""Discovery: new links on index, changelog and announcement pages become documents watched from then on."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from watcher.links import LinkRecord, diff_links, discovered_source_id, is_trackable
from watcher.sources import Config, Source
from watcher.store import Store, iso

_SYSTEM_CARD = re.compile(r"system[ -_]?card|model[ -_]?card", re.IGNORECASE)


def link_changes(old: list[dict[str, str]] | None, new: list[dict[str, str]]) -> dict[str, Any]:
    """{"links": {added, removed, repointed}} between two link lists, or {} when nothing changed."""
    if old is None:
        return {}
    result = diff_links([LinkRecord(**link) for link in old], [LinkRecord(**link) for link in new])
    if not (result.added or result.removed or result.repointed):
        return {}
    return {"links": {
        "added": [vars(link) for link in result.added],
        "removed": [vars(link) for link in result.removed],
        "repointed": [[vars(old_link), vars(new_link)] for old_link, new_link in result.repointed],
    }}


def discovered_kind(parent: Source, link: LinkRecord) -> str:
    """What a document found on a parent page probably is."""
    if parent.kind == "index":
        return "system-card" if _SYSTEM_CARD.search(f"{link.text} {link.url}") else "eval-report"
    return "announcement" if parent.kind == "announcement" else "companion"


def _followed_elsewhere(config: Config, page_url: str, link: LinkRecord) -> bool:
    """The link is the next version of a document some source follows through this very page."""
    return any(s.index == page_url and s.follow is not None and s.follow.search(link.url) for s in config.sources)


def record_discoveries(store: Store, config: Config, parent: Source, details: dict[str, Any], seen_at: datetime,
                       fetch_id: int) -> list[int]:
    """Start tracking each new trackable link of the parent page; return the ids of `discovered` changes."""
    page_url = parent.entry_url
    change_ids = []
    for raw in (details.get("links") or {}).get("added", []):
        link = LinkRecord(**raw)
        if not is_trackable(link, page_url) or _followed_elsewhere(config, page_url, link):
            continue
        if store.db.execute("SELECT 1 FROM discovered WHERE parent_id = ? AND url = ?",
                            [parent.id, link.url]).fetchone():
            continue
        change_ids.append(_start_tracking(store, parent, link, seen_at, fetch_id))
    return change_ids


def _start_tracking(store: Store, parent: Source, link: LinkRecord, seen_at: datetime, fetch_id: int) -> int:
    source_id = discovered_source_id(parent.id, link)
    kind, title = discovered_kind(parent, link), link.text or link.url
    store.db["sources"].upsert({"id": source_id, "org": parent.org, "title": title, "kind": kind, "url": link.url,
                                "enabled": 1, "note": f"discovered on {parent.id}", "updated_at": iso(seen_at)},
                               pk="id")
    change_id = store.add_change({
        "source_id": source_id, "kind": "discovered", "detected_at": iso(seen_at), "url": link.url,
        "fetch_id": fetch_id, "material": 0, "severity": "low",
        "reasons": [f"new {kind} linked from {parent.id}: {title}"],
        "details": {"parent": parent.id, "link": vars(link)},
    })
    store.db["discovered"].insert({"id": source_id, "parent_id": parent.id, "url": link.url, "title": title,
                                   "kind": kind, "discovered_at": iso(seen_at), "change_id": change_id})
    return change_id


def discovered_sources(store: Store, config: Config) -> list[Source]:
    """Sources found on the pages of configured sources, checked like them (while the parent is enabled)."""
    parents = {s.id: s for s in config.sources}
    found = []
    for row in store.db.query("SELECT * FROM discovered ORDER BY discovered_at, id"):
        parent = parents.get(row["parent_id"])
        if parent is None:
            continue
        found.append(Source(id=row["id"], org=parent.org, title=row["title"], kind=row["kind"], url=row["url"],
                            interval=parent.interval, enabled=parent.enabled, robots=parent.robots,
                            allow_private=parent.allow_private, note=f"discovered on {parent.id}"))
    return found
