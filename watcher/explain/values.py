"""The public values of watcher.explain: the status constants, AccountEntry, HunkExplanation, Explanation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

EXPLAINED, PARTIAL, VERSION_ONLY, PENDING, SILENT, NOT_APPLICABLE = (
    "explained", "partial", "version_only", "pending", "silent", "n/a")
DEFAULT_GRACE = timedelta(days=30)


@dataclass(frozen=True)
class AccountEntry:
    """One piece of public evidence: a changelog entry, a version-history item, an announcement paragraph."""

    source: str
    url: str | None
    text: str
    seen_at: str | None = None


@dataclass(frozen=True)
class HunkExplanation:
    """The verdict for one hunk and the evidence entries (indices into Explanation.evidence) behind it."""

    status: str
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """The verdict for a whole change, its evidence, and one verdict per hunk."""

    status: str
    reason_given: bool
    evidence: tuple[AccountEntry, ...]
    hunk_evidence: dict[int, tuple[int, ...]]
    per_hunk: tuple[HunkExplanation, ...]

    def to_json(self) -> dict[str, Any]:
        """The public JSON contract: status, reason_given, evidence with the hunks each entry names."""
        return {
            "status": self.status,
            "reason_given": self.reason_given,
            "evidence": [{"source": entry.source, "url": entry.url, "text": entry.text,
                          "hunks": list(self.hunk_evidence.get(i, ()))}
                         for i, entry in enumerate(self.evidence)],
        }
