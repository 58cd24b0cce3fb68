"""Merging hard-wrapped lines into blocks (merge_lines) and undoing end-of-line hyphenation (join_lines)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from watcher.normalize.pdf.headings import _SECTION_NUMBER
from watcher.normalize.pdf.model import HeadingCandidate

# A line this much shorter than the typical full line ends its paragraph (if other signs agree).
SHORT_LINE_RATIO = 0.75
# Bullets (clean_line has already turned •, ●, – and — into "-"), "1.", "1)", "(a)", "a)", "iv.".
_LIST_MARKER = re.compile(r"(?:[-*+]|\(?\d{1,3}(?:\.\d{1,3})*[.)]|\(?[a-zA-Z][.)]|\(?[ivx]{1,5}[.)])\s+\S")
_SENTENCE_END = re.compile(r"[.!?:;][\"')\]]*$")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_HYPHENATED_END = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)*)-$")
# First halves that usually form real compounds, so "well-\nknown" keeps its hyphen when the
# document gives no other evidence. Syllables such as "pre", "re", "multi" are left out on purpose:
# typesetters also break "pre-vent" and "multi-ple" there.
COMPOUND_HEADS = frozenset({
    "self", "non", "well", "cross", "third", "high", "low", "long", "short", "full", "half", "all",
    "ill", "best", "open", "real", "red", "end", "state", "large", "small", "wide", "world", "human",
    "model", "risk", "safety", "security", "case", "domain", "cyber", "bio", "dual", "near", "far",
    "top", "first", "second", "one", "two", "three", "four", "five", "ten", "on", "off",
})


def merge_lines(lines: list[str]) -> list[str]:
    """Merge hard-wrapped lines into blocks; "" lines are block breaks and are dropped.

    A block is a HeadingCandidate with the style of its first line when that line is one.
    """
    width = typical_line_length(lines)
    vocabulary = word_vocabulary(lines)
    typesetting = hyphenates_words(lines, vocabulary)
    blocks: list[str] = []
    current = ""
    previous = ""
    for line in lines:
        if not line:
            previous = ""
            blocks.append(current)
            current = ""
        elif not current or starts_new_block(previous, line, width):
            blocks.append(current)
            current = previous = line
        else:
            joined = join_lines(current, line, vocabulary, typesetting=typesetting)
            current = current.restyled(joined) if isinstance(current, HeadingCandidate) else joined
            previous = line
    blocks.append(current)
    return [block for block in blocks if block]


def typical_line_length(lines: Iterable[str]) -> int:
    """Length of a full line in this document: the 90th percentile of line lengths in characters."""
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return 0
    return lengths[min(len(lengths) - 1, int(len(lengths) * 0.9))]


def starts_new_block(previous: str, line: str, width: int) -> bool:
    """Whether `line` begins a new block rather than continuing the block that `previous` ended.

    Lines printed larger than body text (HeadingCandidate, not bold-only) keep to their own size: a
    change of size starts a block (geometry already marks it, except across a page break), and so does
    a section number after a heading line. A heading line is full (so its heading carries on) when its
    length times its size ratio is, as body lines are measured; short lines (a title page's stacked
    names) follow the rule for short body lines. A bold line with a section number starts a block.
    """
    if _LIST_MARKER.match(line) or (isinstance(line, HeadingCandidate) and line.bold):
        return True
    size = _heading_size(line)
    if size != _heading_size(previous):
        return True
    if size is not None and _SECTION_NUMBER.match(line):
        return True
    if len(previous) * (size or 1) >= width * SHORT_LINE_RATIO:
        return False  # a full line: the paragraph goes on
    # A clearly short line ends a paragraph, a heading, a list item or a table row, unless what
    # follows starts in lower case (a wrapped heading or a narrow cell carrying on).
    return bool(_SENTENCE_END.search(previous)) or not _starts_lowercase(line)


def _heading_size(line: str) -> float | None:
    """A larger-than-body line's size ratio; None for body-size lines (bold or not)."""
    return line.ratio if isinstance(line, HeadingCandidate) and not line.bold else None


def _starts_lowercase(line: str) -> bool:
    """Whether the first letter-like character of a line is lower case."""
    return line[:1].islower()


def word_vocabulary(lines: Iterable[str]) -> frozenset[str]:
    """Every word (hyphenated compounds kept whole) that appears in the lines, lower-cased."""
    return frozenset(word.lower() for line in lines for word in _WORD.findall(line))


def hyphenates_words(lines: list[str], vocabulary: frozenset[str]) -> bool:
    """Whether this document's line-end hyphens split words (TeX, InDesign) rather than end compounds.

    Word processors and browsers do not hyphenate by default, so there a hyphen at a line end is part
    of the text. Evidence is counted from pairs whose joined or hyphenated form occurs elsewhere in the
    document; without evidence either way, words are assumed to be split (the common typeset case).
    """
    joined = hyphenated = 0
    for left, right in zip(lines, lines[1:]):
        parts = _hyphen_parts(left, right)
        if parts:
            hyphenated += f"{parts[0]}-{parts[1]}" in vocabulary
            joined += f"{parts[0]}{parts[1]}" in vocabulary
    return joined >= hyphenated


def join_lines(left: str, right: str, vocabulary: frozenset[str], *, typesetting: bool = True) -> str:
    """Append a wrapped line to its block, undoing end-of-line hyphenation where that is likely."""
    if _ends_with_attached_hyphen(left) and right[:1].isalnum():
        if right[:1].isalpha() and left[-2].isalpha() and should_drop_hyphen(
                left, right, vocabulary, typesetting=typesetting):
            return left[:-1] + right
        return left + right  # "well-" + "known", "pre-" + "2024": the hyphen is part of the text
    separator = "" if _is_wide(left[-1]) and _is_wide(right[0]) else " "
    return left + separator + right


def should_drop_hyphen(left: str, right: str, vocabulary: frozenset[str], *, typesetting: bool = True) -> bool:
    """Decide whether "safe-" + "guards" is a hyphenated word (drop the hyphen) or a compound (keep it).

    In order: a following capital keeps it (non-English); the document's own usage elsewhere decides
    (well-known vs safeguards); a first part that already holds a hyphen keeps it (state-of-the-art);
    a first part from COMPOUND_HEADS keeps it (self-improvement); otherwise it was typesetting, if the
    document hyphenates words at all (see hyphenates_words).
    """
    parts = _hyphen_parts(left, right)
    if parts is None or not right[0].islower():
        return False
    head, tail = parts
    if f"{head}-{tail}" in vocabulary:
        return False
    if f"{head}{tail}" in vocabulary:
        return True
    return typesetting and "-" not in head and head not in COMPOUND_HEADS


def _hyphen_parts(left: str, right: str) -> tuple[str, str] | None:
    """("safe", "guards") for "...safe-" + "guards...", lower-cased; None if left does not end so."""
    # A cheap test first, as this runs on every pair of lines: the pattern needs a hyphen at the end (or
    # before a final "\n", where "$" also matches).
    if "-" not in left[-2:]:
        return None
    head_match = _HYPHENATED_END.search(left)
    tail_match = _WORD.match(right)
    if not head_match or not tail_match:
        return None
    return head_match.group(1).lower(), tail_match.group(0).lower().split("-")[0]


def _ends_with_attached_hyphen(text: str) -> bool:
    """Whether text ends with a hyphen glued to a word ("safe-"), not a spaced dash ("word -")."""
    return len(text) >= 2 and text[-1] == "-" and not text[-2].isspace()


def _is_wide(char: str) -> bool:
    """Whether a character is CJK-wide: such scripts join wrapped lines without a space."""
    return unicodedata.east_asian_width(char) in ("W", "F")
