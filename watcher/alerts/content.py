"""What an alert says, independent of where it goes: the alert payload and pure helpers over it.

An alert payload is a JSON-ready dict, stored in the `alerts` table and in alerts/<file>.json:

    key         stable identity: change:<id> | change:<id>:settled | health:<source>:failing:<fetch id>
                | health:<source>:recovered:<fetch id> | digest:<channel>:<due time> | test:<time>
    event       change | settled | source_failing | source_recovered | digest | test
    created_at  when watcher made the alert (ISO 8601, UTC)
    org, source, title, severity   who and what it is about (digest: none)
    headline    one line: "Example Lab, Frontier Policy: modified (high; not explained publicly)"
    link        where the web UI shows it ({base_url}/changes/<id>, {base_url}/sources/<id>)
    change      for change/settled/test: the object `watcher changes --json` prints
    health      for source_failing/source_recovered: url, failures_in_a_row, failing_since, last_error,
                last_status, recovered_at
    items       for digest: the payloads it bundles, each as above

Renderers (markdown, email, slack, webhook) read only this dict, so what a user receives can always be
rebuilt from the stored alert.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from watcher.diff import DELETE, EQUAL, INSERT

SEVERITY_ORDER = ("high", "medium", "low", "info")
EVENTS = ("change", "settled", "source_failing", "source_recovered", "digest", "test")

_CONTROL_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")

VERDICT_WORDS = {
    "explained": "explained publicly",
    "partial": "partly explained publicly",
    "version_only": "only a new version label, no reasons",
    "pending": "pending: no public account yet, still inside the grace window",
    "silent": "not explained publicly",
    "n/a": "no explanation needed",
}


@dataclass(frozen=True)
class HunkView:
    """One hunk as shown in an alert: its number, before/after text, word segments and what it touches."""

    number: int
    before: str
    after: str
    segments: tuple[tuple[str, str], ...]
    material: bool
    tags: tuple[str, ...]
    direction: str | None
    section: str | None
    explanation: str | None


def verdict_of(change: dict[str, Any] | None) -> str | None:
    """The explanation status of a change (explained, pending, silent, ...) or None when none applies."""
    explanation = (change or {}).get("explanation")
    return explanation.get("status") if explanation else None


def verdict_words(status: str | None) -> str:
    """A short human phrase for an explanation status."""
    return VERDICT_WORDS.get(status or "", status or "")


def change_headline(change: dict[str, Any], event: str) -> str:
    """'Example Lab, Frontier Policy: modified (high; not explained publicly)'."""
    status = verdict_of(change)
    detail = [change.get("severity") or "unrated"]
    if status:
        detail.append(verdict_words(status).split(":")[0])
    prefix = "verdict settled: " if event == "settled" else ""
    return f"{prefix}{change['org']}, {change['title']}: {change['kind']} ({'; '.join(detail)})"


def important_hunks(change: dict[str, Any], limit: int) -> list[HunkView]:
    """The hunks that matter most, at most `limit`: material first, weakening and removals before others,
    then the bigger ones; ties keep document order."""
    views = [_hunk_view(i + 1, h) for i, h in enumerate(change.get("hunks") or [])]
    ranked = sorted(views, key=lambda v: (not v.material, v.direction not in ("weaken", "remove"),
                                          -(len(v.before) + len(v.after)), v.number))
    return ranked[:limit]


def _hunk_view(number: int, hunk: dict[str, Any]) -> HunkView:
    return HunkView(
        number=number, before=hunk.get("old_text", ""), after=hunk.get("new_text", ""),
        segments=tuple((op, text) for op, text in hunk.get("segments") or ()),
        material=bool(hunk.get("material")), tags=tuple(hunk.get("tags") or ()),
        direction=hunk.get("direction"), section=hunk.get("section"), explanation=hunk.get("explanation"),
    )


def side_segments(view: HunkView, side: str) -> list[tuple[bool, str]]:
    """The before ('old') or after ('new') text as (changed, text) pieces, for word-level highlighting."""
    keep = DELETE if side == "old" else INSERT
    if not view.segments:
        return [(True, view.before if side == "old" else view.after)]
    return [(op != EQUAL, text) for op, text in view.segments if op in (EQUAL, keep)]


def commitment_tags(change: dict[str, Any]) -> list[str]:
    """Every commitment tag (I-VIII and taxonomy tags) the change's hunks touch, in first-seen order."""
    tags: dict[str, None] = {}
    for hunk in change.get("hunks") or []:
        for tag in hunk.get("tags") or ():
            tags[tag] = None
    return list(tags)


def evidence_of(change: dict[str, Any]) -> list[dict[str, Any]]:
    """The public accounts cited by the explanation verdict."""
    return list(((change.get("explanation") or {}).get("evidence")) or [])


def version_facts(change: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) lines for hashes and fetch times of the versions before and after."""
    facts = []
    for side, label in (("old", "before"), ("new", "after")):
        ref = change.get(side)
        if ref:
            facts.append((f"{label}: version", f"v{ref['version']} fetched {ref['fetched_at']} from {ref['url']}"))
            facts.append((f"{label}: text sha256", ref["text_sha256"]))
            facts.append((f"{label}: file sha256", ref["raw_sha256"]))
    return facts


def group_items(items: Sequence[dict[str, Any]]) -> list[tuple[str, list[tuple[str, list[dict[str, Any]]]]]]:
    """Digest order: organisations alphabetically, inside each severity high to info, then oldest first."""
    by_org: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for item in items:
        level = item.get("severity") or "info"
        by_org.setdefault(item.get("org") or "", {}).setdefault(level, []).append(item)
    return [(org, [(level, by_org[org][level]) for level in SEVERITY_ORDER if level in by_org[org]])
            for org in sorted(by_org)]


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary when one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut + "\u2026"


def one_line(text: object, limit: int) -> str:
    """Text safe for a header value: control characters and line/paragraph separators become spaces,
    runs of whitespace one space, and at most `limit` characters."""
    raw = "" if text is None else str(text)
    cleaned = "".join(" " if unicodedata.category(c) in _CONTROL_CATEGORIES else c for c in raw)
    return truncate(" ".join(cleaned.split()), limit)
