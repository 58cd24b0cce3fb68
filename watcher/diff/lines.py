"""Pass 1: the runs of changed lines (blocks), from a bounded diff of lines mapped to characters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

from watcher.diff.budget import _planned_between, _resolved, _unique_common_anchors


@dataclass(frozen=True)
class _Block:
    """A run of changed lines: old_text was replaced by new_text (either may be empty)."""

    old_start: int
    new_start: int
    old_text: str
    new_text: str


def _with_final_newline(text: str) -> str:
    """text ending in a newline (empty stays empty)."""
    return text if not text or text.endswith("\n") else text + "\n"


def _changed_blocks(dmp: diff_match_patch, old: str, new: str) -> Iterator[_Block]:
    """Runs of changed lines, found by diffing lines mapped to single characters."""
    old_codes, new_codes, line_array = dmp.diff_linesToChars(old, new)
    # Lines found once in each text are always matched first (patience diff), however small the texts.
    plan = _planned_between(dmp, old_codes, new_codes, _unique_common_anchors(old_codes, new_codes), 1, 1)
    [diffs] = _resolved(dmp, [plan])
    dmp.diff_charsToLines(diffs, line_array)
    old_pos = new_pos = 0
    deleted: list[str] = []
    inserted: list[str] = []
    for op, text in diffs:
        if op == dmp.DIFF_EQUAL:
            if deleted or inserted:
                yield _block_ending_at(old_pos, new_pos, deleted, inserted)
                deleted, inserted = [], []
        elif op == dmp.DIFF_DELETE:
            deleted.append(text)
        else:
            inserted.append(text)
        old_pos += len(text) if op != dmp.DIFF_INSERT else 0
        new_pos += len(text) if op != dmp.DIFF_DELETE else 0
    if deleted or inserted:
        yield _block_ending_at(old_pos, new_pos, deleted, inserted)


def _block_ending_at(old_end: int, new_end: int, deleted: list[str], inserted: list[str]) -> _Block:
    """The block whose deleted and inserted lines end at these offsets."""
    old_text, new_text = "".join(deleted), "".join(inserted)
    return _Block(old_end - len(old_text), new_end - len(new_text), old_text, new_text)
