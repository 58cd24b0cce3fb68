"""The classifier's vocabulary and results: directions, editorial reasons, severities, HunkVerdict.

Also the intermediate results the stages pass along: a direction _Judgement and one rule's _Signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EDITORIAL_REASONS = ("whitespace", "empty", "typography", "punctuation", "spelling-variant",
                     "toc-or-page-number", "acknowledgements", "moved", "version-label", "changelog",
                     "cross-reference")
DIRECTIONS = ("strengthen", "weaken", "remove", "add", "relocate", "neutral")
SEVERITIES = ("info", "low", "medium", "high")  # ascending
KEY_COMMITMENTS = ("II", "IV", "VII", "VIII")  # weakening these is always high severity


@dataclass(frozen=True)
class HunkVerdict:
    """What one hunk means: material or editorial, the commitments it touches and the direction."""

    material: bool
    kind: str  # "editorial" or "material"
    editorial_reason: str | None  # one of EDITORIAL_REASONS when editorial
    tags: tuple[str, ...]  # "I".."VIII", "X"; sub-tags: I-ext, X-version, X-changelog, X-link, X-rename
    direction: str | None  # one of DIRECTIONS; None when editorial
    section: str | None  # nearest heading above the hunk (new text; old text for deletions)
    reasons: tuple[str, ...]  # the rule firings, readable

    def to_json(self) -> dict[str, Any]:
        """This verdict as a JSON-ready dict."""
        return {"material": self.material, "kind": self.kind, "editorial_reason": self.editorial_reason,
                "tags": list(self.tags), "direction": self.direction, "section": self.section,
                "reasons": list(self.reasons)}


@dataclass(frozen=True)
class _Judgement:
    """The outcome of the direction stage: a direction, or an editorial reason after all."""

    direction: str | None
    reasons: tuple[str, ...]
    editorial_reason: str | None = None
    tags: tuple[str, ...] | None = None  # overrides the taxonomy tags (meta changes are X only)


@dataclass(frozen=True)
class _Signal:
    """One rule firing: the direction it points to and why."""

    direction: str  # weaken | strengthen | relocate
    reason: str
