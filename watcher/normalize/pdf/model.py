"""Data types shared by the PDF modules: pages of lines, extracted lines, results and heading candidates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

Page = list[str]
"""One page as lines of text; an empty string marks a vertical gap (a block break)."""


@dataclass(frozen=True)
class PdfText:
    """The normalized text of a PDF, its metadata title and its page count."""

    text: str          # normalized text, one block (paragraph, heading, list item) per line, no blank lines
    title: str | None  # from PDF metadata /Title if non-empty, else None
    pages: int


@dataclass(frozen=True)
class PdfLine:
    """One extracted line: its text and, when PDFium could tell, its baseline (y, points) and font size.

    font_size is the size as printed (the font's size times the text and page scale). bold is looked up
    only for lines that start with a section number ("4.2", "Appendix A"): it matters for nothing else.
    """

    text: str
    baseline: float | None = None
    font_size: float | None = None
    bold: bool = False


class HeadingCandidate(str):
    """A text line (or block) whose font says it may be a heading; it compares equal to its plain text.

    `ratio` is its font size over the body text size. `bold` means bold at about body size with a
    section number in front: such a block is a heading only if it keeps the number (see is_heading_block).
    The cleanup steps keep these objects as they are; merge_lines passes the first line's style on to
    its block, and mark_headings turns the blocks that pass into "# " lines.
    """

    ratio: float
    bold: bool

    def __new__(cls, text: str, ratio: float, bold: bool = False) -> Self:
        """The text, marked with its size ratio and boldness."""
        line = super().__new__(cls, text)
        line.ratio = ratio
        line.bold = bold
        return line

    def restyled(self, text: str) -> HeadingCandidate:
        """Another text with this line's style."""
        return HeadingCandidate(text, self.ratio, self.bold)
