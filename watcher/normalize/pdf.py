"""PDF bytes to normalized text: PDFium extraction in a limited child process, then layout cleanup.

The pipeline, and why each step exists:

1. `pdf_to_text` checks the bytes look like a whole PDF, then runs `extract_pdf` in a child process
   started from a forkserver (the parent is asyncio + threads, so a plain fork is unsafe). The child
   gets RLIMIT_AS (memory), RLIMIT_CPU (a backstop if the parent dies) and no core dumps; the parent
   kills it at the wall-clock deadline. A hang, a crash or an allocation failure therefore fails only
   that one call, as a NormalizeError.
2. `extract_pdf` reads every line with its baseline and printed font size (pypdfium2), and
   `mark_paragraph_gaps` turns extra vertical space and font-size changes into blank lines, because the
   geometry is the only reliable paragraph signal in a PDF; it also marks lines that may be headings.
3. `normalize_pages` removes page numbers and running headers/footers, joins hyphenated words, merges
   hard-wrapped lines into one block per line, marks headings "# " like the HTML normalizer does, and
   finally applies `clean_text`, so that the same text exported with other metadata, fonts or line widths
   gives the same output.

Line merging (`merge_lines`, `starts_new_block`): a new block starts at a gap marker (blank line), at a
list marker ("-", "*", "1.", "1)", "(a)", "iv."), and after a line clearly shorter than the document's
typical line (under 75 % of the 90th-percentile length) when that line ends a sentence (. ! ? : ;) or
the next line starts with anything but a lower-case letter (headings, table rows, short list items).
At a page break, a finished sentence followed by a capital also starts a block (`join_pages`).
Hyphenation (`should_drop_hyphen`): "safe-" + "guards" joins to "safeguards" unless the next line
starts with a capital, the document uses the hyphenated form elsewhere, the first part is itself
hyphenated or is a usual compound head (well-, self-, non-, ...), or the document's other line-end
hyphens show it does not hyphenate words at all (word processors and browsers do not by default).

Headings (`heading_candidate`, `is_heading_block`, `heading_levels`): the body size is the size most
characters are printed in. A line printed more than 1.15x that size, or bold at about that size and
starting with a section number ("4.2", "IV.", "Section 3", "Appendix A"; bold is looked up only for
such lines), is a candidate. Lines of different sizes never merge, and a heading line counts as full
(its heading wraps on) by its length times its size ratio. A candidate block is a heading if it has at
most 16 words and two letters, does not start in lower case or with a bullet, has no dot leaders, and
does not end with . , ; : ! unless it is numbered; a bold one must keep its number and not end in a
page number (a contents entry). Levels rank the document's heading sizes as ratios to the body size:
"# " for the largest, "## " for the next, "### " for the rest, sizes within 10% of a level's largest
sharing it. Ratios make the result independent of the export's absolute sizes; the cost of ranking is
that a version which adds or drops a whole heading size above the others (a cover title) shifts the
levels below it. Sizes are the printed ones: PDFium's font size is the Tf operand, so it is scaled by
the character's matrix (producers such as Cairo write "/F1 1 Tf" and scale the text with the matrix).
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import re
import resource
import signal
import statistics
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext, ForkServerProcess, set_spawning_popen
from typing import Any, Self, TypeVar

from watcher.errors import NormalizeError
from watcher.normalize.text import clean_line, clean_text

T = TypeVar("T")

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


# --------------------------------------------------------------------------------------------------
# Public entry point: run the extraction in a child process with limits.
# --------------------------------------------------------------------------------------------------

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


def run_limited(job: Callable[..., T], args: tuple[Any, ...], *, timeout: float, memory_bytes: int) -> T:
    """Run job(*args) in a fresh child process under the memory and wall-clock limits; return its result."""
    context = _forkserver_context()
    reader, writer = context.Pipe(duplex=False)
    cpu_seconds = math.ceil(timeout) + 1
    process = _LeanProcess(target=_child_main, args=(writer, job, args, memory_bytes, cpu_seconds),
                           daemon=True)
    deadline = time.monotonic() + timeout
    started = False
    try:
        process.start()
        started = True
        # Close our copy of the write end so a dying child shows up as EOF on the reader.
        writer.close()
        return _receive_outcome(process, reader, deadline, timeout, memory_bytes)
    finally:
        reader.close()
        writer.close()
        if started:
            _reap(process)


_context_lock = threading.Lock()
_context: BaseContext | None = None


def _forkserver_context() -> BaseContext:
    """The forkserver context, with this module and PDFium preloaded so each child starts warm."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            # Preloading in the server means each forked child already has pypdfium2 imported (~1 ms
            # per call instead of ~40 ms). It only takes effect if the server is not yet running.
            context.set_forkserver_preload(["__main__", __name__, "pypdfium2"])
            _context = context
        return _context


class _LeanPopen(popen_forkserver.Popen):
    """Forkserver launcher whose child does not re-run the parent's __main__ before running the job.

    Python 3.11's forkserver never preloads __main__ (it filters the preparation data for a key that
    is not there), so every child re-imports the main script: for the `watcher` console script that
    is the whole CLI and its dependencies, tens of milliseconds per PDF. Our jobs are module-level
    functions that never need __main__, so the child is told nothing about it. The body is CPython's
    Popen._launch with that one change.
    """

    def _launch(self, process_obj: Any) -> None:
        """Send the preparation data (minus __main__) and the process object to a forked child."""
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _LeanProcess(ForkServerProcess):
    """A forkserver process started through _LeanPopen."""

    @staticmethod
    def _Popen(process_obj: Any) -> _LeanPopen:  # noqa: N802 - overrides multiprocessing's name
        """Start the child without the __main__ fix-up."""
        return _LeanPopen(process_obj)


def _child_main(conn: Connection, job: Callable[..., Any], args: tuple[Any, ...], memory_bytes: int,
                cpu_seconds: int) -> None:
    """Child process body: set limits, run the job, send back ("ok", result) or (kind, message)."""
    # Memory set aside before the limit, freed on MemoryError so the report can still be sent.
    reserve: bytearray | None = bytearray(256 * 1024)
    _limit_resources(memory_bytes, cpu_seconds)
    try:
        outcome: tuple[str, Any] = ("ok", job(*args))
    except MemoryError:
        reserve = None
        outcome = ("memory", "")
    except NormalizeError as error:
        outcome = ("error", str(error))
    except Exception as error:  # noqa: BLE001 - any parser failure is a property of this one file
        outcome = ("error", _describe_parser_error(error))
    del reserve
    conn.send(outcome)
    conn.close()


def _limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    """Cap address space and CPU time, and disable core dumps, for the current (child) process."""
    _lower_limit(resource.RLIMIT_AS, memory_bytes)
    _lower_limit(resource.RLIMIT_CPU, cpu_seconds)
    _lower_limit(resource.RLIMIT_CORE, 0)


def _lower_limit(which: int, value: int) -> None:
    """Set the soft and hard limit to value, never raising a limit that is already lower."""
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _receive_outcome(process: Any, reader: Connection, deadline: float, timeout: float,
                     memory_bytes: int) -> Any:
    """Wait for the child's message until the deadline; translate every failure into a NormalizeError."""
    if not reader.poll(max(0.0, deadline - time.monotonic())):
        raise NormalizeError(f"PDF parsing exceeded {timeout:g}s")
    try:
        kind, payload = reader.recv()
    except (EOFError, OSError):
        # EOF without a message: the child died. Its exit code says how.
        process.join(5.0)
        raise _death_error(process.exitcode, timeout, memory_bytes) from None
    if kind == "ok":
        return payload
    if kind == "memory":
        raise NormalizeError(f"PDF parsing exceeded memory limit ({_mebibytes(memory_bytes)})")
    raise NormalizeError(payload)


def _death_error(exitcode: int | None, timeout: float, memory_bytes: int) -> NormalizeError:
    """Describe a child that died without reporting, from its exit code."""
    if exitcode is not None and exitcode < 0:
        signum = -exitcode
        # PDFium's allocator aborts when an allocation fails, and under RLIMIT_AS that is what a
        # memory-hungry file causes; its other fatal checks trap (SIGTRAP/SIGILL) or segfault.
        if signum == signal.SIGABRT:
            return NormalizeError(f"PDF parsing exceeded memory limit ({_mebibytes(memory_bytes)}); "
                                  "the parser aborted")
        if signum == signal.SIGXCPU:
            return NormalizeError(f"PDF parsing exceeded {timeout:g}s (CPU limit)")
        return NormalizeError(f"PDF parser crashed ({_signal_name(signum)})")
    return NormalizeError(f"PDF parser process failed (exit code {exitcode})")


def _reap(process: Any) -> None:
    """Kill the child if it still runs and wait for it, so no process or zombie is left behind."""
    if process.exitcode is None:
        process.join(0.05)  # a child that already sent its result is usually exiting right now
    if process.exitcode is None:
        process.kill()
        process.join()
    process.close()


def _signal_name(signum: int) -> str:
    """SIGSEGV-style name of a signal number."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _mebibytes(size: int) -> str:
    """Human-readable size for error messages."""
    return f"{size / (1 << 20):g} MiB"


def _describe_parser_error(error: Exception) -> str:
    """Turn a pypdfium2 or other parser exception into a NormalizeError message."""
    message = str(error)
    if "password" in message.lower():
        return f"encrypted PDF (a password is needed): {message}"
    if type(error).__name__ == "PdfiumError":
        return f"corrupt PDF: {message}"
    return f"PDF parser failed: {type(error).__name__}: {message}"


# --------------------------------------------------------------------------------------------------
# Extraction with PDFium (runs in the child).
# --------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------
# Geometry: vertical gaps and font-size changes become blank lines.
# --------------------------------------------------------------------------------------------------

# A step this much larger than the usual line spacing for the font size is a paragraph gap. Body text
# uses 1.1-1.6x the font size as leading; paragraph spacing adds at least half a line on top.
GAP_FACTOR = 1.3
# Font sizes this far apart mean a heading and body text, even without extra space between them.
SIZE_CHANGE = 0.15
# A line printed more than this many times the body text size may be a heading (see is_heading_block).
HEADING_SIZE_RATIO = 1.15
# Fonts whose descriptor gives at least this weight are bold (400 is regular, 700 bold).
BOLD_WEIGHT = 600
_BOLD_NAME = re.compile(r"bold|black|heavy|demi", re.IGNORECASE)


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


# --------------------------------------------------------------------------------------------------
# Text cleanup: pure functions on pages of lines.
# --------------------------------------------------------------------------------------------------

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
# Word's Symbol-font bullets arrive as private-use characters.
_PRIVATE_BULLETS = str.maketrans({"\uf0b7": "-", "\uf0a7": "-", "\uf0d8": "-", "\uf076": "-"})


def prepare_line(line: str) -> str:
    """Clean one raw line; a soft hyphen that ends a line was printed as a hyphen, so keep it as one."""
    line = _CONTROL_CHARS.sub("", line).rstrip()
    if line.endswith("\u00ad"):
        line = line[:-1] + "-"
    return clean_line(line.translate(_PRIVATE_BULLETS))


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


# --------------------------------------------------------------------------------------------------
# Merging hard-wrapped lines into blocks.
# --------------------------------------------------------------------------------------------------

# A line this much shorter than the typical full line ends its paragraph (if other signs agree).
SHORT_LINE_RATIO = 0.75
# Bullets (clean_line has already turned •, ●, – and — into "-"), "1.", "1)", "(a)", "a)", "iv.".
_LIST_MARKER = re.compile(r"(?:[-*+]|\(?\d{1,3}(?:\.\d{1,3})*[.)]|\(?[a-zA-Z][.)]|\(?[ivx]{1,5}[.)])\s+\S")
_SENTENCE_END = re.compile(r"[.!?:;][\"')\]]*$")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
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
    head_match = re.search(r"([^\W\d_]+(?:-[^\W\d_]+)*)-$", left)
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


# --------------------------------------------------------------------------------------------------
# Headings: blocks printed larger than body text (or bold, numbered, at body size) get "#" marks.
# --------------------------------------------------------------------------------------------------

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
