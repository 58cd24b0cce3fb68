"""Word-level diffs between two versions of a normalized document, grouped into sentence-sized hunks.

Pure: no I/O. The pipeline, for two texts of one block per line:

    1. line diff (diff-match-patch on lines mapped to characters) finds the changed blocks fast;
    2. each block with both old and new lines gets a word diff: words, spaces and punctuation are
       tokens (CJK and Thai-like scripts: one token per character), all whitespace counts as one
       token so a reflowed paragraph only shows its moved line breaks;
    3. wholly inserted or deleted lines become hunks of their own (long runs split at headings);
       every other edit is widened to its enclosing sentence(s), and edits whose sentences overlap or
       touch share a hunk.

Sentences end at a line break, at . ! ? ; followed by whitespace (closing quotes or brackets may
come between), and after the CJK stops 。！？ (spaces are optional there). A hunk's old_text and
new_text are exact substrings at old_start/new_start, and replacing every old_text by its new_text
turns old into new, except that a missing final newline is not reported as a change.

The hunks depend on the two texts alone, never on the machine's speed or load: no step has a time
limit, and the work is bounded by the size of what is left to align instead (see _MYERS_CELLS in budget.py).
"""

from __future__ import annotations

from watcher.diff.core import compare
from watcher.diff.render import render_terminal
from watcher.diff.values import DELETE, EQUAL, INSERT, Hunk, TextDiff, hunk_from_json

__all__ = ["DELETE", "EQUAL", "INSERT", "Hunk", "TextDiff", "compare", "hunk_from_json", "render_terminal"]
