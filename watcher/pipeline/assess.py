"""Assess a change for Outcome 3: classify its hunks, explain it from public accounts, rate its severity.

    evidence    = gather_evidence(store, ...)    the org's companion texts, new entries on explained_by pages
    diff        = compare(old, new)
    verdicts    = classify_hunks(diff.hunks, old, new, taxonomy, companions=evidence.companions)
    explanation = explain_change(diff.hunks, ..., external=evidence.external)
    severity    = rules table over verdicts and explanation
assess_change is pure (it runs in a worker thread); a verdict inside the grace window is `pending`, and
reevaluate() settles it when new accounts arrive or the window lapses.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watcher.classify import HunkVerdict, Taxonomy, classify_hunks, severity
from watcher.diff import Hunk, compare, hunk_from_json
from watcher.explain import (
    AccountEntry,
    Explanation,
    explain_change,
    same_label_reupload,
    split_account_entries,
)
from watcher.sources import Config, Source
from watcher.store import Store, iso

PENDING = "pending"
ACCOUNT_KINDS = ("changelog", "announcement", "index")  # pages that announce changes rather than commit
RENORMALIZED_REASON = ("the same file gave different text with this version of watcher's normalizer: "
                       "a change in watcher, not by the publisher")


@dataclass(frozen=True)
class Evidence:
    """What a verdict may draw on besides the two texts."""

    companions: tuple[str, ...]        # latest texts of the organisation's companion documents
    external: tuple[AccountEntry, ...]  # entries newly published on explained_by sources in the window
    through: int                        # the newest change id when this was gathered


def gather_evidence(store: Store, config: Config, source: Source, detected_at: datetime) -> Evidence:
    """Read the companion texts and the account entries a verdict on this source may use."""
    grace = timedelta(seconds=config.classify.grace_window)
    return Evidence(companions=tuple(store.latest_texts(source.org, "companion", exclude=source.id)),
                    external=tuple(external_accounts(store, source, detected_at, grace)),
                    through=store.newest_change_id())


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


def removal_assessment(status: int | None) -> dict[str, Any]:
    """A document that now answers 404/410."""
    return {"material": 1, "severity": "high",
            "reasons": [f"document removed: the URL answers HTTP {status}"]}


def assess_change(config: Config, taxonomy: Taxonomy, source: Source, kind: str, old_text: str | None,
                  new_text: str, detected_at: datetime, details: dict[str, Any], evidence: Evidence | None,
                  *, moved_to: str, text_changed: bool) -> dict[str, Any]:
    """The columns of a change row that say what it is, what it touches, and whether it was explained."""
    extra = {"details": details or None}
    if old_text is None:
        return {"chars_added": len(new_text), "material": 0, "severity": "info",
                "reasons": ["first capture of this document"], **extra}
    if not text_changed:
        return {**same_text_assessment(kind, moved_to, details), **extra}
    assert evidence is not None
    diff = compare(old_text, new_text)
    verdicts = classify_hunks(diff.hunks, old_text, new_text, taxonomy, companions=evidence.companions)
    explanation = _explain(config, source, diff.hunks, verdicts, old_text, new_text, detected_at,
                           evidence.external, now=detected_at)
    columns = {
        "chars_added": diff.chars_added, "chars_removed": diff.chars_removed, "hunk_count": len(diff.hunks),
        **_verdict_columns(diff.hunks, verdicts, explanation, old_text, new_text, detected_at),
        **_severity_columns(verdicts, explanation, old_text, new_text, details),
        "evaluated_through": evidence.through, **extra,
    }
    if kind == "renormalized":
        columns.update(material=0, severity="info", reasons=[RENORMALIZED_REASON], explanation=None,
                       settled_at=iso(detected_at))
    elif source.kind in ACCOUNT_KINDS:
        columns.update(_account_page_columns(verdicts, details), same_label_reupload=0, explanation=None,
                       settled_at=iso(detected_at))
    return columns


def _account_page_columns(verdicts: Sequence[HunkVerdict], details: dict[str, Any]) -> dict[str, Any]:
    """Pages where organisations account for changes are evidence, not commitments: rated on what they lost."""
    material = [v for v in verdicts if v.material]
    lost = [i + 1 for i, v in enumerate(verdicts) if v.material and v.direction in ("remove", "weaken")]
    if lost:
        level, reasons = "medium", [f"text removed or weakened on an account page: hunk {', '.join(map(str, lost))}"]
    elif material:
        level, reasons = "low", ["new or changed entries on an account page (evidence for other documents)"]
    else:
        level, reasons = "info", ["no material change (editorial only)"]
    return {"severity": level, "reasons": reasons + _link_reasons(details)}


def same_text_assessment(kind: str, moved_to: str, details: dict[str, Any]) -> dict[str, Any]:
    """A change whose text did not change: a move, a restoration, or links only."""
    if kind == "moved":
        return {"material": 0, "severity": "low",
                "reasons": [f"moved: a permanent redirect now leads to {moved_to}", *_link_reasons(details)]}
    if kind == "restored":
        return {"material": 0, "severity": "low", "reasons": ["restored with the same text as before"]}
    return {"material": 0, "severity": "info", "reasons": ["links changed, text did not", *_link_reasons(details)]}


def _explain(config: Config, source: Source, hunks: Sequence[Hunk], verdicts: Sequence[HunkVerdict],
             old_text: str, new_text: str, detected_at: datetime, external: Sequence[AccountEntry], *,
             now: datetime) -> Explanation:
    return explain_change(
        hunks, [v.material for v in verdicts], [v.tags for v in verdicts], [v.section for v in verdicts],
        old_text, new_text, source_id=source.id, url=source.entry_url, external=external,
        detected_at=detected_at, now=now, grace=timedelta(seconds=config.classify.grace_window),
    )


def _verdict_columns(hunks: Sequence[Hunk], verdicts: Sequence[HunkVerdict], explanation: Explanation,
                     old_text: str, new_text: str, evaluated_at: datetime) -> dict[str, Any]:
    material = any(v.material for v in verdicts)
    return {
        "material": int(material),
        "hunks": [_hunk_json(h, v, explanation.per_hunk[i].status) for i, (h, v) in
                  enumerate(zip(hunks, verdicts, strict=True))],
        "same_label_reupload": int(same_label_reupload(old_text, new_text)),
        "explanation": explanation.to_json() if material else None,
        "settled_at": None if material and explanation.status == PENDING else iso(evaluated_at),
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
    """Re-explain pending changes whose window lapsed or whose explained_by pages changed; count updates."""
    grace = timedelta(seconds=config.classify.grace_window)
    sources = _sources_by_id(store, config)
    updated = 0
    for row in store.pending_changes():
        source = sources.get(row["source_id"])
        detected_at = _parse(row["detected_at"])
        if source is None or not _worth_reevaluating(store, source, row, detected_at, grace, now):
            continue
        store.update_change(row["id"], _reassessed(store, config, source, row, detected_at, now))
        updated += 1
    return updated


def _worth_reevaluating(store: Store, source: Source, row: dict[str, Any], detected_at: datetime,
                        grace: timedelta, now: datetime) -> bool:
    """The window lapsed, or an explained_by page changed after the verdict was last evaluated."""
    if now >= detected_at + grace:
        return True
    return store.has_account_changes_after(source.explained_by, row["evaluated_through"] or 0)


def _reassessed(store: Store, config: Config, source: Source, row: dict[str, Any], detected_at: datetime,
                now: datetime) -> dict[str, Any]:
    hunk_rows = json.loads(row["hunks"])
    hunks = [hunk_from_json(h) for h in hunk_rows]
    verdicts = [_verdict_from_json(h) for h in hunk_rows]
    old = store.read_text(store.version_by_id(row["old_version_id"])) if row["old_version_id"] else ""
    new = store.read_text(store.version_by_id(row["new_version_id"])) if row["new_version_id"] else ""
    evidence = gather_evidence(store, config, source, detected_at)
    explanation = _explain(config, source, hunks, verdicts, old, new, detected_at, evidence.external, now=now)
    details = json.loads(row["details"]) if row["details"] else {}
    return {**_verdict_columns(hunks, verdicts, explanation, old, new, now),
            **_severity_columns(verdicts, explanation, old, new, details), "evaluated_through": evidence.through}


def _sources_by_id(store: Store, config: Config) -> dict[str, Source]:
    from watcher.pipeline.discover import discovered_sources

    return {s.id: s for s in [*config.sources, *discovered_sources(store, config)]}


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))
