"""Text cleanup of extracted pages (normalize_pages): prepare lines, drop page furniture, join pages,
merge wrapped lines into blocks, mark headings and clean the result."""

from __future__ import annotations

import re

from watcher.normalize.pdf.headings import mark_headings
from watcher.normalize.pdf.layout import remove_page_numbers, remove_running_lines
from watcher.normalize.pdf.lines import _LIST_MARKER, _SENTENCE_END, merge_lines
from watcher.normalize.pdf.model import HeadingCandidate, Page
from watcher.normalize.text import clean_line, clean_text


def normalize_pages(pages: list[Page]) -> str:
    """Page lines to final text: drop page numbers and running lines, merge blocks, mark headings, clean."""
    pages = [[_prepare_keeping_style(line) for line in page] for page in pages]
    pages = remove_page_numbers(pages)
    pages = remove_running_lines(pages)
    return clean_text("\n".join(mark_headings(merge_lines(join_pages(pages)))))


def _prepare_keeping_style(line: str) -> str:
    """prepare_line, keeping a heading candidate's style (an emptied line is a plain gap marker)."""
    prepared = prepare_line(line)
    return line.restyled(prepared) if isinstance(line, HeadingCandidate) and prepared else prepared


def join_pages(pages: list[Page]) -> list[str]:
    """Concatenate pages; a page break after a finished sentence, before a capital, is a block break.

    Gap markers at a page's edges (around a removed header or footer) say nothing about the text, so
    they are dropped. At a page break the geometry is lost, and a paragraph whose last line happens to
    be full width would otherwise run into the next page's first paragraph. The cost: a paragraph
    whose sentence ends exactly at the bottom of a page is split there (about as likely, by estimate).
    """
    lines: list[str] = []
    for page in pages:
        page = _trim_gaps(page)
        if lines and page and _SENTENCE_END.search(lines[-1]) and _starts_block_like(page[0]):
            lines.append("")
        lines += page
    return lines


def _starts_block_like(line: str) -> bool:
    """Whether a line starts with a capital letter, a digit or a list marker."""
    return line[:1].isupper() or line[:1].isdigit() or bool(_LIST_MARKER.match(line))


def _trim_gaps(page: Page) -> Page:
    """The page without the gap markers at its start and end."""
    visible = [index for index, line in enumerate(page) if line]
    return page[visible[0]:visible[-1] + 1] if visible else []


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Word's Symbol-font bullets arrive as private-use characters (a regex: str.translate costs more per line).
_PRIVATE_BULLETS = re.compile(r"[\uf0b7\uf0a7\uf0d8\uf076]")


def prepare_line(line: str) -> str:
    """Clean one raw line; a soft hyphen that ends a line was printed as a hyphen, so keep it as one."""
    line = _CONTROL_CHARS.sub("", line).rstrip()
    if line.endswith("\u00ad"):
        line = line[:-1] + "-"
    return clean_line(_PRIVATE_BULLETS.sub("-", line))
