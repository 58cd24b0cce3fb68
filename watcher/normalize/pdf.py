"""PDF bytes to normalized text: PDFium extraction in a limited child process, then layout cleanup.

The pipeline, and why each step exists:

1. `pdf_to_text` checks the bytes look like a whole PDF, then runs `extract_pdf` in a child process
   started from a forkserver (the parent is asyncio + threads, so a plain fork is unsafe). The child
   gets RLIMIT_AS (memory), RLIMIT_CPU (a backstop if the parent dies) and no core dumps; the parent
   kills it at the wall-clock deadline. A hang, a crash or an allocation failure therefore fails only
   that one call, as a NormalizeError.
2. `extract_pdf` reads every line with its baseline and font size (pypdfium2), and `mark_paragraph_gaps`
   turns extra vertical space and font-size changes into blank lines, because the geometry is the only
   reliable paragraph signal in a PDF.
3. `normalize_pages` removes page numbers and running headers/footers, joins hyphenated words, merges
   hard-wrapped lines into one block per line, and finally applies `clean_text`, so that the same text
   exported with other metadata, fonts or line widths gives the same output.

Line merging (`merge_lines`, `starts_new_block`): a new block starts at a gap marker (blank line), at a
list marker ("-", "*", "1.", "1)", "(a)", "iv."), and after a line clearly shorter than the document's
typical line (under 75 % of the 90th-percentile length) when that line ends a sentence (. ! ? : ;) or
the next line starts with anything but a lower-case letter (headings, table rows, short list items).
At a page break, a finished sentence followed by a capital also starts a block (`join_pages`).
Hyphenation (`should_drop_hyphen`): "safe-" + "guards" joins to "safeguards" unless the next line
starts with a capital, the document uses the hyphenated form elsewhere, the first part is itself
hyphenated or is a usual compound head (well-, self-, non-, ...), or the document's other line-end
hyphens show it does not hyphenate words at all (word processors and browsers do not by default).
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
from typing import Any, TypeVar

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
    """One extracted line: its text and, when PDFium could tell, its baseline (y, points) and font size."""

    text: str
    baseline: float | None = None
    font_size: float | None = None


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
    """Looks up where PDFium placed a character, to give each line a baseline and a font size."""

    def __init__(self, textpage: Any) -> None:
        import ctypes

        import pypdfium2.raw as pdfium_c

        self._raw = textpage.raw
        self._pdfium = pdfium_c
        self._ctypes = ctypes
        self._x, self._y = ctypes.c_double(), ctypes.c_double()

    def line(self, segment: str, start: int) -> PdfLine:
        """A PdfLine for segment (which starts at character index start), placed by its first glyph."""
        stripped = segment.lstrip()
        if not stripped:
            return PdfLine(segment)
        index = start + len(segment) - len(stripped)
        byref = self._ctypes.byref
        if not self._pdfium.FPDFText_GetCharOrigin(self._raw, index, byref(self._x), byref(self._y)):
            return PdfLine(segment)
        size = self._pdfium.FPDFText_GetFontSize(self._raw, index)
        return PdfLine(segment, baseline=self._y.value, font_size=size if size > 0 else None)


# --------------------------------------------------------------------------------------------------
# Geometry: vertical gaps and font-size changes become blank lines.
# --------------------------------------------------------------------------------------------------

# A step this much larger than the usual line spacing for the font size is a paragraph gap. Body text
# uses 1.1-1.6x the font size as leading; paragraph spacing adds at least half a line on top.
GAP_FACTOR = 1.3
# Font sizes this far apart mean a heading and body text, even without extra space between them.
SIZE_CHANGE = 0.15


def mark_paragraph_gaps(pages: list[list[PdfLine]]) -> list[Page]:
    """Turn lines with geometry into text pages, inserting "" where a vertical gap or size change is."""
    leading = typical_leading(pages)
    result: list[Page] = []
    for page in pages:
        texts: Page = []
        for previous, line in zip([None, *page], page):
            if previous is not None and _is_block_gap(previous, line, leading):
                texts.append("")
            texts.append(line.text)
        result.append(texts)
    return result


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
    """Page lines to final text: drop page numbers and running lines, merge blocks, clean up."""
    pages = [[prepare_line(line) for line in page] for page in pages]
    pages = remove_page_numbers(pages)
    pages = remove_running_lines(pages)
    return clean_text("\n".join(merge_lines(join_pages(pages))))


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
    """Merge hard-wrapped lines into blocks; "" lines are block breaks and are dropped."""
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
            current = join_lines(current, line, vocabulary, typesetting=typesetting)
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
    """Whether `line` begins a new block rather than continuing the block that `previous` ended."""
    if _LIST_MARKER.match(line):
        return True
    if len(previous) >= width * SHORT_LINE_RATIO:
        return False  # a full line: the paragraph goes on
    # A clearly short line ends a paragraph, a heading, a list item or a table row, unless what
    # follows starts in lower case (a wrapped heading or a narrow cell carrying on).
    return bool(_SENTENCE_END.search(previous)) or not _starts_lowercase(line)


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
