"""Build alert payloads (see watcher.alerts.content) from change records and source health. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from watcher.alerts.content import change_headline


def change_alert(record: dict[str, Any], event: str, created_at: str, base_url: str) -> dict[str, Any]:
    """The alert for a detected change (event `change`) or for its verdict settling (event `settled`)."""
    key = f"change:{record['id']}" + (":settled" if event == "settled" else "")
    return {
        "key": key, "event": event, "created_at": created_at,
        "org": record["org"], "source": record["source"], "title": record["title"],
        "severity": record["severity"] or "info",
        "headline": change_headline(record, event),
        "link": f"{base_url}/changes/{record['id']}",
        "change": record,
    }


def health_alert(source: dict[str, Any], event: str, fetch_id: int, health: dict[str, Any], created_at: str,
                 base_url: str) -> dict[str, Any]:
    """A source failing N times in a row (`source_failing`) or working again (`source_recovered`)."""
    state = "failing" if event == "source_failing" else "recovered"
    if event == "source_failing":
        headline = (f"{source['org']}, {source['title']}: failing {health['failures_in_a_row']} times in a row "
                    f"since {health['failing_since']}")
    else:
        headline = f"{source['org']}, {source['title']}: fetching works again"
    return {
        "key": f"health:{source['id']}:{state}:{fetch_id}", "event": event, "created_at": created_at,
        "org": source["org"], "source": source["id"], "title": source["title"], "severity": "medium",
        "headline": headline, "link": f"{base_url}/sources/{source['id']}", "health": health,
    }


def digest_alert(channel: str, due_at: str, items: Sequence[dict[str, Any]], created_at: str) -> dict[str, Any]:
    """One message bundling the alerts a digest channel collected up to `due_at`."""
    count = len(items)
    orgs = sorted({i.get("org") or "" for i in items})
    return {
        "key": f"digest:{channel}:{due_at}", "event": "digest", "created_at": created_at,
        "org": None, "source": None, "title": None,
        "severity": _highest([i.get("severity") or "info" for i in items]),
        "headline": f"watcher digest: {count} alert{'s' if count != 1 else ''} from {len(orgs)} "
                    f"organisation{'s' if len(orgs) != 1 else ''} up to {due_at}",
        "link": None, "channel": channel, "period_end": due_at, "items": list(items),
    }


def _highest(levels: Sequence[str]) -> str:
    for level in ("high", "medium", "low", "info"):
        if level in levels:
            return level
    return "info"


def sample_alert(created_at: str, base_url: str) -> dict[str, Any]:
    """What `watcher alerts test` sends: a made-up change with every part an alert can show."""
    record = {
        "id": 0, "source": "example-lab-framework", "source_kind": "framework", "org": "Example Lab",
        "title": "Example Lab Safety Framework (sample alert)", "url": "https://example.org/framework.pdf",
        "old_url": None, "kind": "modified", "detected_at": created_at,
        "old": {"version": 1, "text_sha256": "0" * 64, "raw_sha256": "1" * 64, "fetched_at": created_at,
                "last_seen_at": created_at, "url": "https://example.org/framework.pdf"},
        "new": {"version": 2, "text_sha256": "2" * 64, "raw_sha256": "3" * 64, "fetched_at": created_at,
                "last_seen_at": created_at, "url": "https://example.org/framework.pdf"},
        "stats": {"chars_added": 9, "chars_removed": 7, "hunks": 1},
        "hunks": [{
            "old_text": "We will pause training within 7 days of reaching a critical threshold.",
            "new_text": "We will pause training within 30 days of reaching a critical threshold.",
            "old_start": 0, "new_start": 0, "old_line": 12, "new_line": 12,
            "context_before": "Thresholds", "context_after": "",
            "segments": [["=", "We will pause training within "], ["-", "7"], ["+", "30"],
                         ["=", " days of reaching a critical threshold."]],
            "material": True, "editorial_reason": None, "tags": ["IV"], "direction": "weaken",
            "section": "Thresholds", "reasons": ["a deadline got longer (7 -> 30 days)"], "explanation": "silent",
        }],
        "material": True, "severity": "high", "reasons": ["weakened: commitment IV (a deadline got longer)"],
        "same_label_reupload": False,
        "explanation": {"status": "silent", "reason_given": None, "evidence": []},
        "details": None,
    }
    alert = change_alert(record, "change", created_at, base_url)
    return {**alert, "key": f"test:{created_at}", "event": "test",
            "headline": f"watcher test alert: {alert['headline']}"}
