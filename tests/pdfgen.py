"""Deterministic PDFs for tests: laid out line by line here, so hyphenation and wrapping are known."""

from __future__ import annotations

import re
import zlib
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

SOFT_HYPHEN = "\u00ad"
"""Put inside a word ("safe\u00adguards") to allow a line break there, printed as "safe-"."""

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
}
HAS_UNICODE_FONTS = all((FONT_DIR / name).exists() for pair in FONT_FILES.values() for name in pair)

_DEFAULT_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
_METADATA_SETTERS = {
    "author": FPDF.set_author, "subject": FPDF.set_subject, "keywords": FPDF.set_keywords,
    "creator": FPDF.set_creator, "producer": FPDF.set_producer,
}


class _Document(FPDF):
    """FPDF with an optional running header and a page-number footer."""

    def __init__(self, header_text: str | None, page_number_format: str | None, family: str) -> None:
        super().__init__(format="A4")
        self.header_text = header_text
        self.page_number_format = page_number_format
        self.family = family

    def header(self) -> None:
        """Print the running header, if any, at the top of every page."""
        if self.header_text:
            self.set_font(self.family, size=8)
            self.cell(0, 8, self.header_text, align="C", new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

    def footer(self) -> None:
        """Print the page number, if wanted, at the bottom of every page."""
        if self.page_number_format:
            self.set_y(-15)
            self.set_font(self.family, size=8)
            label = self.page_number_format.format(page=self.page_no(), pages=self.str_alias_nb_pages)
            self.cell(0, 10, label, align="C")


def make_pdf(paragraphs: list[str], *, title: str = "Test document", header: str | None = None,
             footer_page_numbers: bool = True, metadata: dict[str, str] | None = None,
             creation_date: datetime | None = None, font_size: int = 11, font: str = "sans",
             compress: bool = True, page_number_format: str = "Page {page} of {pages}") -> bytes:
    """A multi-page PDF of paragraphs, byte-for-byte repeatable.

    "# " starts a heading (bold, 4 pt larger than the text), "## " a smaller one (bold, 2 pt larger),
    "### " a bold paragraph at text size, "- " a bullet item.

    Lines are broken here (greedy, at spaces or at soft hyphens, which print as "-"), so a test knows
    exactly which words end up hyphenated. `font` is "sans" or "serif" (DejaVu, Unicode) or "core"
    (Helvetica, Windows-1252 only; also the fallback when DejaVu is not installed).
    """
    family = _family(font)
    pdf = _Document(header, page_number_format if footer_page_numbers else None, family)
    _register_fonts(pdf, font)
    pdf.set_compression(compress)
    pdf.set_creation_date(creation_date or _DEFAULT_DATE)
    pdf.set_title(title)
    for key, value in (metadata or {}).items():
        _METADATA_SETTERS[key](pdf, value)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    for paragraph in paragraphs:
        _write_paragraph(pdf, paragraph, family, font_size)
    return bytes(pdf.output())


def _family(font: str) -> str:
    """fpdf2 font family name for a font choice, falling back to Helvetica without DejaVu."""
    if font == "core" or not HAS_UNICODE_FONTS:
        return "helvetica"
    return font


def _register_fonts(pdf: FPDF, font: str) -> None:
    """Register the DejaVu regular and bold faces, or allow Windows-1252 text in core fonts."""
    if _family(font) == "helvetica":
        pdf.core_fonts_encoding = "windows-1252"
        return
    regular, bold = FONT_FILES[font]
    pdf.add_font(font, fname=str(FONT_DIR / regular))
    pdf.add_font(font, style="B", fname=str(FONT_DIR / bold))


def _write_paragraph(pdf: FPDF, paragraph: str, family: str, font_size: int) -> None:
    """Lay out one heading, bullet item or paragraph, then leave paragraph spacing below it."""
    line_height = font_size * 0.55
    marks, _, heading = paragraph.partition(" ")
    if marks in HEADING_STYLES:
        step, spacing = HEADING_STYLES[marks]
        pdf.set_font(family, style="B", size=font_size + step)
        text, indent, height = heading, 0.0, line_height * spacing
    elif paragraph.startswith("- "):
        pdf.set_font(family, size=font_size)
        text, indent, height = "\u2022 " + paragraph[2:], 4.0, line_height
    else:
        pdf.set_font(family, size=font_size)
        text, indent, height = paragraph, 0.0, line_height
    width = pdf.epw - indent
    for line in wrap_text(pdf, text, width):
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(width, height, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(line_height * 0.6)


HEADING_STYLES = {"#": (4, 1.4), "##": (2, 1.2), "###": (0, 1.0)}
"""Heading marks: how many points larger than the text make_pdf prints them (bold), and their line height."""


def wrap_text(pdf: FPDF, text: str, width: float) -> list[str]:
    """Greedy line breaking at spaces; a word that does not fit may break after a hyphen or at a soft one."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while word:
            joined = f"{line} {word}" if line else word
            split = None if _fits(pdf, joined, width) else _best_split(pdf, line, word, width)
            if split is None and (line == "" or _fits(pdf, joined, width)):
                line, word = joined, ""  # fits, or a word too long for any line overflows alone
            elif split is not None:
                head, word = split
                lines.append(f"{line} {head}" if line else head)
                line = ""
            else:
                lines.append(line)
                line = ""
    if line:
        lines.append(line)
    return [line.replace(SOFT_HYPHEN, "") for line in lines]


# Break opportunities inside a word: a soft hyphen, or just after a real hyphen between letters.
_BREAK_POINT = re.compile(r"\u00ad|(?<=[^\W\d_]-)(?=[^\W\d_])")


def _best_split(pdf: FPDF, line: str, word: str, width: float) -> tuple[str, str] | None:
    """The longest head of word, cut at a break point, that still fits after line; None if none does."""
    for point in reversed(list(_BREAK_POINT.finditer(word))):
        head = word[:point.start()] + ("-" if point.group() == SOFT_HYPHEN else "")
        if _fits(pdf, f"{line} {head}" if line else head, width):
            return head, word[point.end():]
    return None


def _fits(pdf: FPDF, text: str, width: float) -> bool:
    """Whether text, as printed, fits in width with the current font."""
    return pdf.get_string_width(text.replace(SOFT_HYPHEN, "")) <= width


def make_pdf_without_text() -> bytes:
    """A one-page PDF with only a drawing on it, like a scan without OCR."""
    pdf = FPDF()
    pdf.set_creation_date(_DEFAULT_DATE)
    pdf.add_page()
    pdf.rect(30, 30, 100, 60, style="F")
    return bytes(pdf.output())


def make_scaled_pdf(lines: list[tuple[float, str]], *, line_gap: float = 1.25) -> bytes:
    """A one-page PDF of (size, text) lines, written the way Cairo and some other producers write text:
    the font is set at size 1 ("/F1 1 Tf") and scaled to its printed size by the text matrix.

    Lines follow each other at line_gap times their size; a change of size also leaves a blank line.
    """
    content = bytearray(b"BT /F1 1 Tf ")
    y = 800.0
    previous = None
    for size, text in lines:
        y -= size * line_gap + (size if previous not in (None, size) else 0)
        previous = size
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")
        content += b"%g 0 0 %g 50 %g Tm (%s) Tj " % (size, size, y, escaped)
    content += b"ET"
    body = bytes(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 842] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return _assemble_pdf(objects)


def make_content_bomb(text_operations: int) -> bytes:
    """A tiny PDF whose one page holds `text_operations` text-showing operators after decompression.

    About 30 KB per million operations, it makes a parser spend seconds and hundreds of MB on one
    page: a stand-in for hostile files in the time- and memory-limit tests.
    """
    content = b"BT /F1 1 Tf " + b"1 0 Td (ab) Tj " * text_operations + b"ET"
    body = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _assemble_pdf(objects)


def _assemble_pdf(objects: list[bytes]) -> bytes:
    """Number the objects from 1, write a cross-reference table and a trailer rooted at object 1."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
