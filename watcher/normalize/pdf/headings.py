"""Headings: blocks printed larger than body text (or bold, numbered, at body size) get "#" marks."""

from __future__ import annotations

import re
from collections.abc import Iterable

from watcher.normalize.pdf.model import HeadingCandidate

# A heading is at most this many words long.
MAX_HEADING_WORDS = 16
# Heading sizes within this factor of the largest size in their group share a level.
LEVEL_GAP = 1.1
# Levels given out: "#" for the largest heading size, "##" for the next, "###" for all the rest.
MAX_HEADING_LEVEL = 3
# A section number in front of a heading: "4.", "4.2", "4.2.1", "A.", "IV.", "Section 3", "Appendix A".
_SECTION_NUMBER = re.compile(
    r"\s*(?:(?:section|appendix|annex|part|chapter|article|schedule)\s+(?:\d{1,2}(?:\.\d{1,2})*|[A-Z]|[IVX]{1,5})\b"
    r"|\d{1,2}(?:\.\d{1,2})*\.?(?=\s)|[A-Z]\.(?=\s)|[IVX]{1,5}\.(?=\s))",
    re.IGNORECASE,
)
# Contents entries: dot leaders, or (at body size) a section number, a title and a page number.
_DOT_LEADERS = re.compile(r"\.\s?\.\s?\.")
_TRAILING_PAGE_NUMBER = re.compile(r"\S\s+\d{1,3}$")
# A heading ends without these, unless it is numbered ("4.2 Capability thresholds." is one).
_NOT_A_HEADING_END = re.compile(r"[.,;:!][\"')\]]*$")
_BULLET = re.compile(r"[-*+]\s")


def mark_headings(blocks: list[str]) -> list[str]:
    """The blocks as plain strings, the heading blocks with "# ", "## " or "### " in front.

    Levels rank the document's heading sizes (see heading_levels); a numbered bold heading at body size
    ranks as its own (small) size.
    """
    headings = {index: block.ratio for index, block in enumerate(blocks)
                if isinstance(block, HeadingCandidate) and is_heading_block(block)}
    levels = heading_levels(headings.values())
    return ["#" * levels[headings[index]] + " " + str(block) if index in headings else str(block)
            for index, block in enumerate(blocks)]


def is_heading_block(block: HeadingCandidate) -> bool:
    """Whether a candidate block reads like a heading rather than a large-print sentence, a list item,
    a contents entry or a stray glyph (a drop cap)."""
    text = block.strip()
    numbered = _SECTION_NUMBER.match(text)
    if len(text.split()) > MAX_HEADING_WORDS or sum(char.isalpha() for char in text) < 2:
        return False
    if text[:1].islower() or _BULLET.match(text) or _DOT_LEADERS.search(text):
        return False
    if block.bold and (not numbered or _TRAILING_PAGE_NUMBER.search(text[numbered.end():])):
        return False
    return bool(numbered) or not _NOT_A_HEADING_END.search(text)


def heading_levels(ratios: Iterable[float]) -> dict[float, int]:
    """Level 1 for the largest heading size, 2 for the next, MAX_HEADING_LEVEL for the rest.

    Sizes are grouped from the largest down: a size within LEVEL_GAP of the largest size of the
    current group joins it (rounding and 15.5 vs 16 pt designs), a smaller one starts the next level.
    """
    levels: dict[float, int] = {}
    level, top = 0, 0.0
    for ratio in sorted(set(ratios), reverse=True):
        if not level or ratio * LEVEL_GAP < top:
            level, top = level + 1, ratio
        levels[ratio] = min(level, MAX_HEADING_LEVEL)
    return levels
