"""Assess a change for Outcome 3: classify its hunks, explain it from public accounts, rate its severity.

    verdicts    = classify_hunks(hunks, old, new, taxonomy, companions=the org's companion texts)
    explanation = explain_change(hunks, ..., external=new entries on explained_by sources in the window)
    severity    = rules table over verdicts and explanation
A verdict inside the grace window is `pending`; reevaluate() settles it when accounts arrive or the
window lapses.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from watcher.classify import HunkVerdict, Taxonomy, classify_hunks, load_taxonomy, severity
from watcher.diff import Hunk, TextDiff, hunk_from_json
from watcher.explain import AccountEntry, Explanation, explain_change, same_label_reupload, \
    split_account_entries
from watcher.sources import Config, Source
from watcher.store import Store, iso

PENDING = "pending"


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def first_seen_assessment(text: str) -> dict[str, Any]:
    """A document seen for the first time: recorded, not a change of content."""
    return {"chars_added": len(text), "material": 0, "severity": "info",
            "reasons": ["first capture of this document"]}


def removal_assessment(status: int | None) -> dict[str, Any]:
    """A document that now answers 404/410."""
    return {"material": 1, "severity": "high",
            "reasons": [f"document removed: the URL answers HTTP {status}"]}


def move_assessment(new_url: str) -> dict[str, Any]:
    """The same text now lives at another URL."""
    return {"material": 0, "severity": "low", "reasons": [f"moved: a permanent redirect now leads to {new_url}"]}


def assess_change(store: Store, config: Config, taxonomy: Taxonomy, source: Source, kind: str, old_text: str,
                  new_text: str, diff: TextDiff | None, detected_at: datetime, details: dict[str, Any],
                  *, moved_to: str) -> dict[str, Any]:
    """The columns of a change row that say what it is, what it touches, and whether it was explained."""
    extra = {"details": details or None}
    if kind == "first_seen":
        return {**first_seen_assessment(new_text), **extra}
    if diff is None:
        base = move_assessment(moved_to) if kind == "moved" else {
            "material": 0, "severity": "low" if kind == "restored" else "info",
            "reasons": [f"{kind}: same text as before" if kind == "restored" else "links changed, text did not"]}
        return {**base, "reasons": base["reasons"] + _link_reasons(details), **extra}
    companions = store.latest_texts(source.org, "companion", exclude=source.id)
    verdicts = classify_hunks(diff.hunks, old_text, new_text, taxonomy, companions=companions)
    explanation = _explain(store, config, source, diff.hunks, verdicts, old_text, new_text, detected_at,
                           now=detected_at)
    return {
        "chars_added": diff.chars_added, "chars_removed": diff.chars_removed, "hunk_count": len(diff.hunks),
        **_verdict_columns(diff.hunks, verdicts, explanation, old_text, new_text, detected_at),
        **_severity_columns(verdicts, explanation, old_text, new_text, details), **extra,
    }


def _explain(store: Store, config: Config, source: Source, hunks: Sequence[Hunk],
             verdicts: Sequence[HunkVerdict], old_text: str, new_text: str, detected_at: datetime, *,
             now: datetime) -> Explanation:
    grace = timedelta(seconds=config.classify.grace_window)
    return explain_change(
        hunks, [v.material for v in verdicts], [v.tags for v in verdicts], [v.section for v in verdicts],
        old_text, new_text, source_id=source.id, url=source.entry_url,
        external=external_accounts(store, source, detected_at, grace), detected_at=detected_at, now=now,
        grace=grace,
    )


def external_accounts(store: Store, source: Source, detected_at: datetime,
                      grace: timedelta) -> list[AccountEntry]:
    """Entries newly published on the source's explained_by pages within the grace window."""
    rows = store.account_changes(source.explained_by, iso(detected_at - grace), iso(detected_at + grace))
    entries = []
    for row in rows:
        added = "\n".join(h["new_text"] for h in json.loads(row["hunks"]) if h.get("new_text"))
        for text in split_account_entries(added):
            entries.append(AccountEntry(source=row["source_id"], url=row["url"], text=text,
                                        seen_at=row["detected_at"]))
    return entries


def _verdict_columns(hunks: Sequence[Hunk], verdicts: Sequence[HunkVerdict], explanation: Explanation,
                     old_text: str, new_text: str, detected_at: datetime) -> dict[str, Any]:
    material = any(v.material for v in verdicts)
    return {
        "material": int(material),
        "hunks": [_hunk_json(h, v, explanation.per_hunk[i].status) for i, (h, v) in
                  enumerate(zip(hunks, verdicts, strict=True))],
        "same_label_reupload": int(same_label_reupload(old_text, new_text)),
        "explanation": explanation.to_json() if material else None,
        "settled_at": None if material and explanation.status == PENDING else iso(detected_at),
    }


def _severity_columns(verdicts: Sequence[HunkVerdict], explanation: Explanation, old_text: str,
                      new_text: str, details: dict[str, Any]) -> dict[str, Any]:
    material = any(v.material for v in verdicts)
    level, fired = severity(verdicts, explanation.status if material else None)
    reasons = list(fired)
    if material and same_label_reupload(old_text, new_text):
        reasons.append("same-label re-upload: the text changed under an unchanged version label and date")
    return {"severity": level, "reasons": reasons + _link_reasons(details)}


def _hunk_json(hunk: Hunk, verdict: HunkVerdict, explanation: str) -> dict[str, Any]:
    return {**hunk.to_json(), "material": verdict.material, "editorial_reason": verdict.editorial_reason,
            "tags": list(verdict.tags), "direction": verdict.direction, "section": verdict.section,
            "reasons": list(verdict.reasons), "explanation": explanation if verdict.material else None}


def _verdict_from_json(hunk: dict[str, Any]) -> HunkVerdict:
    return HunkVerdict(material=hunk["material"], kind="material" if hunk["material"] else "editorial",
                       editorial_reason=hunk.get("editorial_reason"), tags=tuple(hunk.get("tags", ())),
                       direction=hunk.get("direction"), section=hunk.get("section"),
                       reasons=tuple(hunk.get("reasons", ())))


def _link_reasons(details: dict[str, Any]) -> list[str]:
    links = (details or {}).get("links") or {}
    reasons = [f"link added: {link['text'] or link['url']} ({link['url']})" for link in links.get("added", [])]
    reasons += [f"link removed: {link['text'] or link['url']} ({link['url']})" for link in links.get("removed", [])]
    reasons += [f"link repointed: {old['text']}: {old['url']} -> {new['url']}"
                for old, new in links.get("repointed", [])]
    return reasons


def reevaluate(store: Store, config: Config, now: datetime) -> int:
    """Re-run the explanation of every pending change with the accounts known now; return how many changed."""
    updated = 0
    for row in store.pending_changes():
        source = _source_of(store, config, row["source_id"])
        if source is None:
            continue
        hunk_rows = json.loads(row["hunks"])
        hunks = [hunk_from_json(h) for h in hunk_rows]
        verdicts = [_verdict_from_json(h) for h in hunk_rows]
        old = store.read_text(store.version_by_id(row["old_version_id"])) if row["old_version_id"] else ""
        new = store.read_text(store.version_by_id(row["new_version_id"])) if row["new_version_id"] else ""
        detected_at = _parse(row["detected_at"])
        explanation = _explain(store, config, source, hunks, verdicts, old, new, detected_at, now=now)
        details = json.loads(row["details"]) if row["details"] else {}
        values = {**_verdict_columns(hunks, verdicts, explanation, old, new, now),
                  **_severity_columns(verdicts, explanation, old, new, details)}
        if values["explanation"] != json.loads(row["explanation"]) or values["settled_at"]:
            store.update_change(row["id"], values)
            updated += 1
    return updated


def _source_of(store: Store, config: Config, source_id: str) -> Source | None:
    from watcher.pipeline.discover import discovered_sources

    return next((s for s in [*config.sources, *discovered_sources(store, config)] if s.id == source_id), None)


__all__ = ["assess_change", "external_accounts", "first_seen_assessment", "load_taxonomy",
           "move_assessment", "reevaluate", "removal_assessment"]
