"""Page furniture: page-number lines and running headers/footers near the top and bottom of pages."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable

from watcher.normalize.pdf.model import Page

# Page-number lines: "3", "- 3 -", "Page 3", "Page 3 of 12", "3 of 12", "3/12", "p. 3", "iv".
_PAGE_NUMBER = re.compile(
    r"(?:-\s*)?(?:(?:page|p\.)\s*)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,4})?(?:\s*-)?"
    r"|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})",
    re.IGNORECASE,
)
PAGE_NUMBER_ZONE = 2     # page numbers are looked for among the first and last lines of a page
RUNNING_LINE_ZONE = 3    # running headers/footers are looked for among the first and last lines


def is_page_number(line: str) -> bool:
    """Whether a line consists of nothing but a page number in one of the usual styles."""
    # Roman numerals only in lower case: an upper-case "I" or "C" alone is more often real text.
    return bool(_PAGE_NUMBER.fullmatch(line)) and not (line.isalpha() and not line.islower())


def remove_page_numbers(pages: list[Page]) -> list[Page]:
    """Drop page-number lines found near the top or bottom of each page."""
    return [_drop_in_zone(page, PAGE_NUMBER_ZONE, is_page_number) for page in pages]


def running_line_key(line: str) -> str:
    """Compare running lines with digits and case ignored, so "Policy v2 - page 3" matches page 4's."""
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def remove_running_lines(pages: list[Page]) -> list[Page]:
    """Drop lines that repeat (digits ignored) at the same place at the top or bottom of most pages.

    "Same place" means the same rank among the first (or last) RUNNING_LINE_ZONE lines: a running
    header is always the first line, whereas body text that happens to repeat drifts around. When the
    pages carry gap markers (geometry was available), a candidate must also be set apart from the body
    by a gap, as headers and footers are. A line must repeat on at least half of the pages (odd/even
    headers alternate), and on at least 2.
    """
    if len(pages) < 2:
        return pages
    require_gap = any(line == "" for page in pages for line in page)
    needed = max(2, math.ceil(len(pages) / 2))
    slots = [_edge_slots(page, require_gap) for page in pages]
    counts = Counter(slot for page_slots in slots for slot in set(page_slots.values()))
    repeated = {slot for slot, count in counts.items() if count >= needed}
    return [[line for index, line in enumerate(page) if page_slots.get(index) not in repeated]
            for page, page_slots in zip(pages, slots)]


def _edge_slots(page: Page, require_gap: bool) -> dict[int, tuple[int, str]]:
    """Map the index of each candidate edge line to (rank from top, or -rank-1 from bottom; its key)."""
    visible = [index for index, line in enumerate(page) if line]
    top = _edge_run(page, visible, require_gap)
    bottom = _edge_run(page, visible[::-1], require_gap)
    slots = {index: (-rank - 1, running_line_key(page[index])) for rank, index in enumerate(bottom)}
    # A line that is near both edges (a very short page) is ranked from the top.
    slots.update({index: (rank, running_line_key(page[index])) for rank, index in enumerate(top)})
    return slots


def _edge_run(page: Page, visible: list[int], require_gap: bool) -> list[int]:
    """The first RUNNING_LINE_ZONE of `visible` (line indexes in walking order), cut at the last gap."""
    if not require_gap:
        return visible[:RUNNING_LINE_ZONE]
    run: list[int] = []
    for count in range(1, min(RUNNING_LINE_ZONE, len(visible) - 1) + 1):
        low, high = sorted((visible[count - 1], visible[count]))
        if "" in page[low:high]:
            run = visible[:count]
    return run


def _drop_in_zone(page: Page, zone: int, should_drop: Callable[[str], bool]) -> Page:
    """Remove lines matching should_drop among the first and last `zone` non-blank lines of a page."""
    visible = [index for index, line in enumerate(page) if line]
    edges = set(visible[:zone]) | set(visible[-zone:])
    return [line for index, line in enumerate(page) if index not in edges or not should_drop(line)]
