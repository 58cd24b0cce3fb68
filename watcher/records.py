"""Stored changes as the JSON objects of `watcher changes --json` (also the shape alerts and the web use)."""

from __future__ import annotations

import json
from typing import Any

from watcher.store import Store, Version


def version_ref(version: Version | None) -> dict[str, Any] | None:
    """The `old` / `new` object of a change: which version, its hashes and when it was fetched."""
    if version is None:
        return None
    return {
        "version": version.number,
        "text_sha256": version.text_sha256,
        "raw_sha256": version.raw_sha256,
        "fetched_at": version.first_seen_at,
        "last_seen_at": version.last_seen_at,
        "url": version.url,
    }


def change_record(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    """One change row (joined with its source) as a JSON-ready object."""
    old = store.version_by_id(row["old_version_id"]) if row["old_version_id"] else None
    new = store.version_by_id(row["new_version_id"]) if row["new_version_id"] else None
    return {
        "id": row["id"],
        "source": row["source_id"],
        "source_kind": row["source_kind"],
        "org": row["org"],
        "title": row["title"],
        "url": row["url"],
        "old_url": row["old_url"],
        "kind": row["kind"],
        "detected_at": row["detected_at"],
        "old": version_ref(old),
        "new": version_ref(new),
        "stats": {"chars_added": row["chars_added"], "chars_removed": row["chars_removed"],
                  "hunks": row["hunk_count"]},
        "hunks": json.loads(row["hunks"]),
        "material": bool(row["material"]) if row["material"] is not None else None,
        "severity": row["severity"],
        "reasons": json.loads(row["reasons"]),
        "same_label_reupload": bool(row["same_label_reupload"]),
        "explanation": json.loads(row["explanation"]) if row["explanation"] else None,
        "details": json.loads(row["details"]) if row["details"] else None,
    }
