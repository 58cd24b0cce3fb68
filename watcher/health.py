"""How each source is doing, from its stored fetches: new, ok, failing, unhealthy, unavailable or removed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from watcher.sources import Config, Source
from watcher.store import Store

UNHEALTHY_AFTER = 3  # failures (errors or quarantined pages) in a row before a source counts as unhealthy


def source_health(source: Source, store: Store | None, config: Config) -> dict[str, Any]:
    """The state of one source, with its failing streak, as shown by `watcher sources`."""
    state, versions, streak = "new", 0, None
    if store is not None:
        versions = len(store.versions(source.id))
        streak = store.failing_streak(source.id)
        if versions:
            state = "removed" if store.last_change_kind(source.id) == "removed" else "ok"
        if streak:
            state = _failing_state(streak, config)
    return {"id": source.id, "org": source.org, "title": source.title, "kind": source.kind,
            "url": source.url or f"{source.index} (follow {source.follow.pattern if source.follow else ''})",
            "enabled": source.enabled, "state": state, "versions": versions,
            "failing_since": streak["first_at"] if streak else None,
            "failures_in_a_row": streak["count"] if streak else 0,
            "last_error": streak["last_error"] if streak else None, "note": source.note}


def _failing_state(streak: dict[str, Any], config: Config) -> str:
    if _long_server_outage(streak, config):
        return "unavailable"
    return "unhealthy" if streak["count"] >= UNHEALTHY_AFTER else "failing"


def _long_server_outage(streak: dict[str, Any], config: Config) -> bool:
    """Server errors (or no answer) for longer than `unavailable_after`: unavailable, not removed."""
    first, last = (datetime.fromisoformat(streak[k].replace("Z", "+00:00")) for k in ("first_at", "last_at"))
    server_side = streak["last_status"] is None or streak["last_status"] >= 500
    return server_side and (last - first).total_seconds() >= config.fetch.unavailable_after
