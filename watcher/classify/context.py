"""What a hunk is judged against (_Context), where a hunk sits in it, and the comparison thresholds."""

from __future__ import annotations

from dataclasses import dataclass

from watcher.classify.document import _DocIndex
from watcher.classify.taxonomy import Taxonomy
from watcher.diff import Hunk

_FOUND_SIMILARITY = 0.9  # Dice over token sets: "the same sentence, small edits allowed"
_RECOMMENDATION_SIMILARITY = 0.6  # a commitment reworded as a recommendation keeps most of its words
_FUZZY_MIN_TOKENS = 8  # shorter sentences must be found exactly (after canonicalisation)
_RELOCATED_MIN_TOKENS = 5  # a shorter deleted fragment is never looked for in the companions
_MOVED_SEGMENT_MIN_TOKENS = 4  # a shorter moved piece inside a changed sentence must stay near
_NEAR_CHARS = 2000
_QUOTE_CHARS = 70  # how much of a sentence a reason quotes


@dataclass(frozen=True)
class _Context:
    """Everything a hunk is judged against: both versions and the companion documents."""

    old: _DocIndex
    new: _DocIndex
    companions: tuple[_DocIndex, ...]
    taxonomy: Taxonomy


def _is_deletion(hunk: Hunk) -> bool:
    """Nothing new in place of the old text."""
    return not hunk.new_text.strip() and bool(hunk.old_text.strip())


def _is_insertion(hunk: Hunk) -> bool:
    """Nothing old in place of the new text."""
    return not hunk.old_text.strip() and bool(hunk.new_text.strip())


def _section_of(hunk: Hunk, context: _Context) -> str | None:
    """Nearest heading above the hunk in the new text (in the old text for deletions)."""
    return next(iter(_headings_above(hunk, context)), None)


def _headings_above(hunk: Hunk, context: _Context) -> list[str]:
    """The headings above the hunk, nearest first (new text; old text for deletions)."""
    if _is_deletion(hunk):
        return context.old.headings_above(hunk.old_start + _leading_space(hunk.old_text))
    return context.new.headings_above(hunk.new_start + _leading_space(hunk.new_text))


def _leading_space(text: str) -> int:
    """Length of the whitespace text starts with."""
    return len(text) - len(text.lstrip())
