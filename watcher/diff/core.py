"""compare(): the three passes put together, from two texts to a TextDiff.
"""

from __future__ import annotations

from diff_match_patch import diff_match_patch

from watcher.diff.hunks import _hunks, _unpadded
from watcher.diff.lines import _changed_blocks, _with_final_newline
from watcher.diff.spans import _pieces, _Span, _spans
from watcher.diff.values import DELETE, INSERT, TextDiff
from watcher.diff.words import _blocks_chunks


def compare(old: str, new: str, *, context_chars: int = 200) -> TextDiff:
    """Diff two texts into sentence-sized hunks with word-level segments."""
    if context_chars < 0:
        raise ValueError("context_chars must be >= 0")
    if old == new:
        return TextDiff((), 0, 0)
    # A missing final newline would make the last line differ from the same line followed by more.
    padded_old, padded_new = _with_final_newline(old), _with_final_newline(new)
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0  # no clock: _planned bounds Myers by size (this also disables half-match)
    blocks = list(_changed_blocks(dmp, padded_old, padded_new))
    spans: list[_Span] = []
    for block, chunks in zip(blocks, _blocks_chunks(dmp, blocks), strict=True):
        pieces = _pieces(chunks, block.old_start, block.new_start, padded_old, padded_new)
        spans.extend(_spans(pieces, padded_old, padded_new))
    spans = [span for span in _unpadded(spans, len(old), len(new)) if span.is_change()]
    hunks = tuple(_hunks(spans, old, new, context_chars))
    added = sum(len(text) for hunk in hunks for op, text in hunk.segments if op == INSERT)
    removed = sum(len(text) for hunk in hunks for op, text in hunk.segments if op == DELETE)
    return TextDiff(hunks, added, removed)
