"""Reading PDF bytes: the entry point pdf_to_text and the PDFium extraction that runs in the child.

pdf_to_text checks the bytes look like a whole PDF, then runs extract_pdf under run_limited. extract_pdf
reads every line with its baseline, printed font size and (for numbered lines) boldness through
pypdfium2, then hands the pages to the geometry and cleanup steps. The forkserver preloads this module
(isolation.JOB_MODULE), so keep extract_pdf here.
"""

from __future__ import annotations

import math
import re
from typing import Any

from watcher.errors import NormalizeError
from watcher.normalize.pdf.cleanup import normalize_pages
from watcher.normalize.pdf.geometry import mark_paragraph_gaps
from watcher.normalize.pdf.headings import _SECTION_NUMBER
from watcher.normalize.pdf.isolation import run_limited
from watcher.normalize.pdf.model import PdfLine, PdfText
from watcher.normalize.text import clean_line

# Fonts whose descriptor gives at least this weight are bold (400 is regular, 700 bold).
BOLD_WEIGHT = 600
_BOLD_NAME = re.compile(r"bold|black|heavy|demi", re.IGNORECASE)


def pdf_to_text(data: bytes, *, timeout: float = 60.0, memory_bytes: int = 1 << 30) -> PdfText:
    """Extract normalized text from PDF bytes in a child process with time and memory limits."""
    check_whole_pdf(data)
    return run_limited(extract_pdf, (data,), timeout=timeout, memory_bytes=memory_bytes)


def check_whole_pdf(data: bytes) -> None:
    """Reject non-PDF and truncated bytes cheaply, before any child process is started."""
    # The spec allows the header anywhere in the first 1024 bytes (some servers prepend junk).
    if b"%PDF-" not in data[:1024]:
        raise NormalizeError("not a PDF: no %PDF- header in the first 1024 bytes")
    # PDFium silently recovers truncated files and returns the pages it could read; for a change
    # watcher a cut-off download must not look like a new version, so require the end marker.
    if b"%%EOF" not in data[-4096:]:
        raise NormalizeError("truncated PDF: no %%EOF marker at the end of the file")


# PDFium ends a visual line with CRLF and replaces a hyphen at a line end with U+FFFE
# (joining the two lines); both are line ends for us.
_PDFIUM_LINE_END = re.compile(r"\r\n|\r|\n|\ufffe")


def extract_pdf(data: bytes) -> PdfText:
    """Parse PDF bytes with PDFium and return the normalized text (call it in a limited child)."""
    import pypdfium2 as pdfium  # imported here so the parent needs PDFium only in the forkserver

    document = pdfium.PdfDocument(data)
    try:
        page_count = len(document)
        title = clean_line(document.get_metadata_value("Title") or "") or None
        pages = [_read_page(document, index) for index in range(page_count)]
    finally:
        document.close()
    if page_count == 0:
        raise NormalizeError("PDF has no pages")
    text = normalize_pages(mark_paragraph_gaps(pages))
    if not text:
        raise NormalizeError("PDF has no extractable text (scanned?)")
    return PdfText(text=text, title=title, pages=page_count)


def _read_page(document: Any, index: int) -> list[PdfLine]:
    """Read one page's lines with their geometry, closing PDFium's page objects promptly."""
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            return read_textpage_lines(textpage)
        finally:
            textpage.close()
    finally:
        page.close()


def read_textpage_lines(textpage: Any) -> list[PdfLine]:
    """Split a PDFium text page into lines, each with the baseline and size of its first character."""
    count = textpage.count_chars()
    if count <= 0:
        return []
    text = textpage.get_text_range(0, count)
    # Character indexes match string positions only when the lengths agree (no astral characters);
    # otherwise fall back to lines without geometry rather than attach the wrong positions.
    locate = _GlyphLocator(textpage) if len(text) == count else None
    lines: list[PdfLine] = []
    start = 0
    for end_match in [*_PDFIUM_LINE_END.finditer(text), None]:
        end = end_match.start() if end_match else len(text)
        segment = text[start:end] + ("-" if end_match and end_match.group() == "\ufffe" else "")
        lines.append(locate.line(segment, start) if locate else PdfLine(segment))
        start = end_match.end() if end_match else len(text)
    return lines


class _GlyphLocator:
    """Looks up where PDFium placed a character, to give each line a baseline, a font size and boldness."""

    def __init__(self, textpage: Any) -> None:
        import ctypes

        import pypdfium2.raw as pdfium_c

        self._raw = textpage.raw
        self._pdfium = pdfium_c
        self._ctypes = ctypes
        self._x, self._y = ctypes.c_double(), ctypes.c_double()
        self._matrix = pdfium_c.FS_MATRIX()
        self._name = ctypes.create_string_buffer(256)
        self._flags = ctypes.c_int()

    def line(self, segment: str, start: int) -> PdfLine:
        """A PdfLine for segment (which starts at character index start), placed by its first glyph."""
        stripped = segment.lstrip()
        if not stripped:
            return PdfLine(segment)
        index = start + len(segment) - len(stripped)
        byref = self._ctypes.byref
        if not self._pdfium.FPDFText_GetCharOrigin(self._raw, index, byref(self._x), byref(self._y)):
            return PdfLine(segment)
        size = self._size(index)
        bold = bool(_SECTION_NUMBER.match(stripped)) and self._is_bold(index) and self._is_bold(
            start + len(segment.rstrip()) - 1)
        return PdfLine(segment, baseline=self._y.value, font_size=size, bold=bold)

    def _size(self, index: int) -> float | None:
        """The printed size of a character: PDFium's size is the font's (Tf), before the text matrix and
        the page transformation scale it (many producers write "/F1 1 Tf" and scale with the matrix)."""
        size = self._pdfium.FPDFText_GetFontSize(self._raw, index)
        if size <= 0:
            return None
        if self._pdfium.FPDFText_GetMatrix(self._raw, index, self._ctypes.byref(self._matrix)):
            scale = math.hypot(self._matrix.c, self._matrix.d)  # how long the glyph's vertical unit is
            if scale > 0:
                size *= scale
        return size

    def _is_bold(self, index: int) -> bool:
        """Whether a character's font is bold: by the weight PDFium reports (from the font descriptor),
        else by the font's name (the standard 14 fonts, such as Helvetica-Bold, have no descriptor)."""
        if self._pdfium.FPDFText_GetFontWeight(self._raw, index) >= BOLD_WEIGHT:
            return True
        length = self._pdfium.FPDFText_GetFontInfo(self._raw, index, self._name, len(self._name),
                                                   self._ctypes.byref(self._flags))
        name = self._name.value.decode("latin-1") if 0 < length <= len(self._name) else ""
        return bool(_BOLD_NAME.search(name))
