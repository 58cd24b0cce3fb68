"""Geometry: vertical gaps and font-size changes become blank lines; larger or bold numbered lines become
heading candidates (mark_paragraph_gaps)."""

from __future__ import annotations

import statistics
from collections import Counter

from watcher.normalize.pdf.model import HeadingCandidate, Page, PdfLine

# A step this much larger than the usual line spacing for the font size is a paragraph gap. Body text
# uses 1.1-1.6x the font size as leading; paragraph spacing adds at least half a line on top.
GAP_FACTOR = 1.3
# Font sizes this far apart mean a heading and body text, even without extra space between them.
SIZE_CHANGE = 0.15
# A line printed more than this many times the body text size may be a heading (see is_heading_block).
HEADING_SIZE_RATIO = 1.15


def mark_paragraph_gaps(pages: list[list[PdfLine]]) -> list[Page]:
    """Turn lines with geometry into text pages, inserting "" where a vertical gap or size change is.

    Lines that may be headings (see heading_candidate) come out as HeadingCandidate strings.
    """
    leading = typical_leading(pages)
    body = body_font_size(pages)
    result: list[Page] = []
    for page in pages:
        texts: Page = []
        for previous, line in zip([None, *page], page):
            if previous is not None and _is_block_gap(previous, line, leading):
                texts.append("")
            texts.append(heading_candidate(line, body))
        result.append(texts)
    return result


def body_font_size(pages: list[list[PdfLine]]) -> float | None:
    """The body text size: the (half-point) size that the most characters are printed in.

    A tie goes to the smaller size, so that the choice does not depend on the order of the pages.
    """
    weights: Counter[float] = Counter()
    for page in pages:
        for line in page:
            if line.font_size:
                weights[_size_key(line.font_size)] += len(line.text.strip())
    if not weights:
        return None
    return max(weights, key=lambda size: (weights[size], -size))


def heading_candidate(line: PdfLine, body: float | None) -> str:
    """The line's text; a HeadingCandidate if it is printed clearly larger than the body text, or bold
    at about body size and starting with a section number (PdfLine.bold is only set for those)."""
    if not body or not line.font_size or not line.text.strip():
        return line.text
    ratio = _size_key(line.font_size) / body
    if ratio > HEADING_SIZE_RATIO:
        return HeadingCandidate(line.text, ratio)
    if line.bold and ratio * HEADING_SIZE_RATIO >= 1:
        return HeadingCandidate(line.text, ratio, bold=True)
    return line.text


def typical_leading(pages: list[list[PdfLine]]) -> dict[float, float]:
    """Usual baseline-to-baseline distance per font size, over the whole document."""
    steps: dict[float, list[float]] = {}
    for page in pages:
        for previous, line in zip(page, page[1:]):
            step = _baseline_step(previous, line)
            if step is not None and line.font_size and _same_size(previous, line):
                # Ignore overlapping or superscript-like steps and jumps to another column or section.
                if 0.5 * line.font_size < step < 4 * line.font_size:
                    steps.setdefault(_size_key(line.font_size), []).append(step)
    # The lower quartile is the within-paragraph spacing even when many paragraphs are one line long.
    return {size: _lower_quartile(values) for size, values in steps.items()}


def _is_block_gap(previous: PdfLine, line: PdfLine, leading: dict[float, float]) -> bool:
    """True when the geometry between two consecutive lines says a new block starts."""
    if previous.font_size and line.font_size and not _same_size(previous, line):
        return True
    step = _baseline_step(previous, line)
    if step is None or step <= 0 or not line.font_size:
        return False  # unknown, or a jump up to a new column: leave it to the text rules
    usual = leading.get(_size_key(line.font_size))
    return usual is not None and step > usual * GAP_FACTOR


def _baseline_step(previous: PdfLine, line: PdfLine) -> float | None:
    """How far down the page the line is from the previous one, in points (None if unknown)."""
    if previous.baseline is None or line.baseline is None:
        return None
    return previous.baseline - line.baseline


def _same_size(first: PdfLine, second: PdfLine) -> bool:
    """Whether two lines use (about) the same font size."""
    if not first.font_size or not second.font_size:
        return True
    return abs(first.font_size - second.font_size) <= SIZE_CHANGE * max(first.font_size, second.font_size)


def _size_key(size: float) -> float:
    """Bucket font sizes to half points so 10.98 and 11.0 count as one size."""
    return round(size * 2) / 2


def _lower_quartile(values: list[float]) -> float:
    """The 25th percentile of a non-empty list."""
    if len(values) < 4:
        return min(values)
    return statistics.quantiles(values, n=4)[0]
