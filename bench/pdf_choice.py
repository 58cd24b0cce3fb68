"""Measure pypdf against pypdfium2 on generated PDFs whose source text is known; print a table.

Run from the repository root:  .venv/bin/python bench/pdf_choice.py [--repeat N]

Every document is laid out here (fpdf2), so the exact text of every block is known. Each extractor's
raw output goes through the same cleanup (watcher.normalize.pdf.normalize_pages) and is compared with
the source:
  words%   difflib ratio between the source words and the output words (100 = identical)
  bad      output words that are not source words: split words, merged words, wrong characters
  split    of those, words cut in two ("safe guards", "safe-guards")
  merged   of those, words glued together ("safeguardsand")
  blocks%  source blocks (heading, paragraph, list item, table row) found as an exact output line
  ms/page  median wall time of the raw extraction per page (without the shared cleanup)
"""

from __future__ import annotations

import argparse
import difflib
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.pdfgen import FONT_DIR, HAS_UNICODE_FONTS, SOFT_HYPHEN, wrap_text  # noqa: E402
from watcher.normalize.pdf import (  # noqa: E402
    Page, PdfLine, mark_paragraph_gaps, normalize_pages, read_textpage_lines,
)
from watcher.normalize.text import clean_text  # noqa: E402

# ---------------------------------------------------------------------------------------------------
# Source text (written for this benchmark).
# ---------------------------------------------------------------------------------------------------

PARAGRAPHS = [
    "This framework explains how the laboratory decides whether a new model may be trained further, "
    "released to customers, or shared with outside researchers. It applies to every system whose "
    "measured capabilities exceed the thresholds described in the annexes, regardless of the team "
    "that built it or the product that will carry it.",
    "Before each significant release we run a battery of evaluations covering autonomous replication, "
    "assistance with biological or chemical weapons, offensive cyber operations, and the ability to "
    "manipulate evaluators. Results are compared against predetermined warning levels; crossing a level "
    "triggers the corresponding safeguards before any further deployment decision is taken.",
    "Safeguards fall into two families. Containment measures protect the weights and the training "
    "infrastructure against theft and misuse by insiders. Deployment measures restrict what the model "
    "will do for users, including refusal training, classifier-based filtering, rate limits, and "
    "account-level monitoring for patterns of abuse.",
    "The \u201cresponsible officer\u201d reviews every evaluation report and may pause a launch on their "
    "own authority. Disagreements are escalated to the board\u2019s oversight committee, which receives "
    "a written summary within five working days and publishes an anonymised version once the "
    "underlying vulnerabilities have been fixed.",
    "External red-teaming complements our internal work. Independent organisations receive early "
    "access under confidentiality agreements, choose their own testing methodology, and are free to "
    "publish aggregate findings. We commit to responding publicly to each published finding within "
    "thirty days, explaining what we changed or why we decided not to.",
    "Thresholds are reviewed at least annually. When evidence suggests that an evaluation no longer "
    "measures what it was designed to measure, for example because the benchmark leaked into training "
    "data, the evaluation is replaced and the change is recorded in the public changelog together "
    "with the reasoning behind it.",
    "Nothing in this document limits obligations that arise under applicable law. Where a regulator "
    "imposes stricter requirements, those requirements prevail, and the laboratory will describe the "
    "difference in its next transparency report so that readers can follow how the commitments evolve.",
]
HEADINGS = ["1. Scope and purpose", "2. Capability evaluations", "3. Safeguards",
            "4. Governance and oversight", "5. External scrutiny", "6. Review cycle", "7. Legal context"]
BULLETS = [
    "- Weights are stored only on hardware with audited access controls and two-person rules.",
    "- Fine-tuning interfaces exclude the most hazardous capability domains by default.",
    "- Incident reports reach the responsible officer within twenty-four hours of discovery.",
]
TABLE = [("Level", "Trigger", "Required response"),
         ("Low", "No warning level crossed", "Standard release process"),
         ("Elevated", "One warning level crossed", "Enhanced safeguards and review"),
         ("Critical", "Multiple levels crossed", "Pause pending board decision")]
CYRILLIC = ("Настоящая политика описывает, как лаборатория оценивает возможности новых моделей и какие "
            "меры защиты применяются до их публичного выпуска.")
GREEK = ("Η πολιτική αυτή περιγράφει πώς αξιολογούνται οι δυνατότητες των νέων μοντέλων πριν από "
         "οποιαδήποτε δημόσια διάθεση.")
LIGATURES = {"fi": "\ufb01", "fl": "\ufb02", "ffi": "\ufb03", "ff": "\ufb00"}


def with_soft_hyphens(text: str) -> str:
    """Allow a break in the middle of every word of 10+ letters, as a typesetter's hyphenation would."""
    return re.sub(r"[^\W\d_]{10,}", lambda m: m[0][: len(m[0]) // 2] + SOFT_HYPHEN + m[0][len(m[0]) // 2:],
                  text)


def with_ligature_glyphs(text: str) -> str:
    """Replace ffi/fi/fl/ff by their ligature code points, as shaped fonts often emit them."""
    for plain in sorted(LIGATURES, key=len, reverse=True):
        text = text.replace(plain, LIGATURES[plain])
    return text


# ---------------------------------------------------------------------------------------------------
# Layout: blocks to PDF pages, with the quirks real producers have.
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Style:
    """How one benchmark document is typeset."""

    font: str = "sans"                  # sans / serif (DejaVu) or core (Helvetica, WinAnsi)
    size: float = 10.5
    placement: str = "runs"             # runs: one text run per line; words: one per word; glyphs: one per glyph
    justify: bool = False
    columns: int = 1
    header: str | None = "Example Lab \u2014 Frontier Model Policy v3.1"
    page_label: str | None = "Page {page} of {pages}"
    ligatures: bool = False
    heading_tracking: float = 0.0       # extra space between the letters of headings (pt)


class BenchPdf(FPDF):
    """FPDF with a running header and a page label, drawn at fixed positions."""

    def __init__(self, style: Style, family: str) -> None:
        super().__init__(format="A4")
        self.style_ = style
        self.family = family
        self.set_auto_page_break(False)
        self.set_creation_date(__import__("datetime").datetime(2024, 1, 1))

    def header(self) -> None:
        """Running header on every page."""
        if self.style_.header:
            self.set_font(self.family, size=8)
            self.text(self.l_margin, 12, self.style_.header)

    def footer(self) -> None:
        """Page label on every page."""
        if self.style_.page_label:
            self.set_font(self.family, size=8)
            label = self.style_.page_label.format(page=self.page_no(), pages=self.str_alias_nb_pages)
            self.text(self.w / 2 - 8, self.h - 10, label)


def render(blocks: list[str], style: Style) -> bytes:
    """Typeset blocks ("# " heading, "- " bullet, "|" table row, else paragraph) into PDF bytes."""
    family = _setup_family(style)
    pdf = BenchPdf(style, family)
    _register(pdf, style, family)
    gutter = 8.0
    column_width = (pdf.epw - gutter * (style.columns - 1)) / style.columns
    top, bottom = 22.0, pdf.h - 20.0
    pdf.add_page()
    state = {"column": 0, "y": top}

    def next_line_position(height: float) -> tuple[float, float]:
        """Where the next line goes, moving to the next column or page when this one is full."""
        if state["y"] + height > bottom:
            state["column"] += 1
            state["y"] = top
            if state["column"] >= style.columns:
                pdf.add_page()
                state["column"] = 0
        x = pdf.l_margin + state["column"] * (column_width + gutter)
        state["y"] += height
        return x, state["y"]

    for block in blocks:
        if block.startswith("|"):
            _render_table_row(pdf, style, family, block, column_width, next_line_position)
        else:
            _render_text_block(pdf, style, family, block, column_width, next_line_position)
        state["y"] += style.size * 0.25  # paragraph spacing
    return bytes(pdf.output())


def _setup_family(style: Style) -> str:
    """fpdf2 family name for the style's font."""
    return "helvetica" if style.font == "core" else style.font


def _register(pdf: FPDF, style: Style, family: str) -> None:
    """Register DejaVu faces, or let core fonts take Windows-1252 text."""
    if family == "helvetica":
        pdf.core_fonts_encoding = "windows-1252"
        return
    base = {"sans": "DejaVuSans", "serif": "DejaVuSerif"}[style.font]
    pdf.add_font(family, fname=str(FONT_DIR / f"{base}.ttf"))
    pdf.add_font(family, style="B", fname=str(FONT_DIR / f"{base}-Bold.ttf"))


def _render_text_block(pdf: FPDF, style: Style, family: str, block: str, width: float,
                       position: Callable[[float], tuple[float, float]]) -> None:
    """Heading, bullet or paragraph, line by line."""
    heading = block.startswith("# ")
    text = block[2:] if heading else ("\u2022 " + block[2:] if block.startswith("- ") else block)
    if style.ligatures:
        text = with_ligature_glyphs(text)
    size = style.size + 3 if heading else style.size
    pdf.set_font(family, style="B" if heading else "", size=size)
    tracking = style.heading_tracking / pdf.k if heading else 0.0  # pt to mm
    lines = wrap_text(pdf, with_soft_hyphens(text), width - tracking * 60)
    for number, line in enumerate(lines):
        x, y = position(size * 0.5)
        last = number == len(lines) - 1
        _draw_line(pdf, style, line, x, y, width, justify=style.justify and not last and not heading,
                   tracking=tracking)


def _render_table_row(pdf: FPDF, style: Style, family: str, block: str, width: float,
                      position: Callable[[float], tuple[float, float]]) -> None:
    """A table row: cells at fixed column offsets."""
    pdf.set_font(family, size=style.size)
    x, y = position(style.size * 0.55)
    cells = block.strip("|").split("|")
    for index, cell in enumerate(cells):
        pdf.text(x + index * width / len(cells), y, cell.strip())


def _draw_line(pdf: FPDF, style: Style, line: str, x: float, y: float, width: float, *,
               justify: bool, tracking: float = 0.0) -> None:
    """Draw one line as a single run, word by word (optionally spread to full width) or glyph by glyph."""
    words = line.split(" ")
    if style.placement == "glyphs":
        for char in line:
            pdf.text(x, y, char)
            x += pdf.get_string_width(char) + tracking
        return
    if style.placement == "runs" and not justify:
        pdf.text(x, y, line)
        return
    natural = sum(pdf.get_string_width(word) for word in words)
    gap = (width - natural) / max(1, len(words) - 1) if justify else pdf.get_string_width(" ")
    for word in words:
        pdf.text(x, y, word)
        x += pdf.get_string_width(word) + gap


# ---------------------------------------------------------------------------------------------------
# Corpus.
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    """A generated PDF and the text it must give back."""

    name: str
    pdf: bytes
    expected: str


def body_blocks(repeat: int, *, non_latin: bool = True, table: bool = True) -> list[str]:
    """Headings, paragraphs, bullets, a table and optional non-Latin text, repeated to fill pages."""
    blocks: list[str] = []
    for round_ in range(repeat):
        for index, (heading, paragraph) in enumerate(zip(HEADINGS, PARAGRAPHS)):
            blocks += [f"# {heading}" if round_ == 0 else f"# {heading} ({round_ + 1})", paragraph]
            if index == 2:
                blocks += BULLETS
            if index == 3 and table:
                blocks += ["|" + "|".join(row) for row in TABLE]
            if index == 4 and non_latin:
                blocks += [CYRILLIC, GREEK]
    return blocks


def expected_text(blocks: list[str]) -> str:
    """The text a perfect extractor would return for blocks, in watcher's normal form."""
    lines = []
    for block in blocks:
        if block.startswith("# "):
            lines.append(block[2:])
        elif block.startswith("|"):
            lines.append(" ".join(cell.strip() for cell in block.strip("|").split("|")))
        else:
            lines.append(block)
    return clean_text("\n".join(lines))


def corpus(repeat: int) -> list[Sample]:
    """The benchmark documents: one per producer quirk."""
    unicode_ok = HAS_UNICODE_FONTS
    specs: list[tuple[str, Style, dict[str, bool]]] = [
        ("sans, runs", Style(), {}),
        ("serif, justified words", Style(font="serif", placement="words", justify=True,
                                         page_label="- {page} -"), {}),
        ("core font (WinAnsi)", Style(font="core", page_label="{page}"), {"non_latin": False}),
        ("word by word", Style(placement="words", page_label="{page}"), {}),
        ("two columns", Style(columns=2, size=9), {"table": False}),
        ("ligature glyphs", Style(ligatures=True, font="serif"), {}),
        ("small font, no header", Style(size=8, header=None), {}),
        ("glyph by glyph", Style(placement="glyphs", page_label="- {page} -"), {}),
        ("letter-spaced headings", Style(placement="glyphs", heading_tracking=4.0, font="serif"), {}),
    ]
    samples = []
    for name, style, options in specs:
        if style.font != "core" and not unicode_ok:
            continue
        blocks = body_blocks(repeat, **options)
        samples.append(Sample(name, render(blocks, style), expected_text(blocks)))
    return samples


# ---------------------------------------------------------------------------------------------------
# Extractors: raw text per page, all cleaned by the same normalize_pages.
# ---------------------------------------------------------------------------------------------------

def pdfium_geometry(data: bytes) -> list[Page]:
    """pypdfium2 lines with baselines and font sizes, gaps marked (what watcher uses)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    pages: list[list[PdfLine]] = []
    for index in range(len(document)):
        page = document[index]
        textpage = page.get_textpage()
        pages.append(read_textpage_lines(textpage))
        textpage.close()
        page.close()
    document.close()
    return mark_paragraph_gaps(pages)


def pdfium_text_only(data: bytes) -> list[Page]:
    """pypdfium2 plain text per page, no geometry."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    pages = []
    for index in range(len(document)):
        page = document[index]
        textpage = page.get_textpage()
        text = textpage.get_text_range().replace("\ufffe", "-\n")
        pages.append(re.split(r"\r\n|\r|\n", text))
        textpage.close()
        page.close()
    document.close()
    return pages


def pypdf_plain(data: bytes) -> list[Page]:
    """pypdf's default extraction, no geometry."""
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return [page.extract_text().split("\n") for page in reader.pages]


def pypdf_layout(data: bytes) -> list[Page]:
    """pypdf's layout mode: blank lines where there is vertical space, columns kept apart by spaces."""
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return [page.extract_text(extraction_mode="layout").split("\n") for page in reader.pages]


EXTRACTORS: dict[str, Callable[[bytes], list[Page]]] = {
    "pypdfium2 + geometry": pdfium_geometry,
    "pypdfium2 text only": pdfium_text_only,
    "pypdf plain": pypdf_plain,
    "pypdf layout": pypdf_layout,
}


# ---------------------------------------------------------------------------------------------------
# Scoring.
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    """Fidelity and speed of one extractor on one sample."""

    words: float
    bad: int
    split: int
    merged: int
    blocks: float
    ms_per_page: float
    pages: int


def score(sample: Sample, extract: Callable[[bytes], list[Page]], repeat: int) -> Score:
    """Extract sample.pdf `repeat` times, time it, and compare the cleaned text with the source."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        pages = extract(sample.pdf)
        timings.append(time.perf_counter() - started)
    # Heading marks ("# ") are structure, not words: fidelity compares the words only.
    got = re.sub(r"(?m)^#{1,6} ", "", normalize_pages(pages))
    want_words, got_words = sample.expected.split(), got.split()
    matcher = difflib.SequenceMatcher(None, want_words, got_words, autojunk=False)
    bad = split = merged = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        bad += j2 - j1
        if "".join(want_words[i1:i2]).replace("-", "") == "".join(got_words[j1:j2]).replace("-", ""):
            split += max(0, (j2 - j1) - (i2 - i1))
            merged += max(0, (i2 - i1) - (j2 - j1))
        split += _hyphen_splits(want_words[i1:i2], got_words[j1:j2])
    got_lines = set(got.split("\n"))
    want_lines = sample.expected.split("\n")
    blocks = sum(line in got_lines for line in want_lines) / len(want_lines)
    return Score(words=matcher.ratio() * 100, bad=bad, split=split, merged=merged, blocks=blocks * 100,
                 ms_per_page=statistics.median(timings) * 1000 / len(pages), pages=len(pages))


def _hyphen_splits(want: list[str], got: list[str]) -> int:
    """Words that came back with a stray hyphen inside ("safe-guards" for "safeguards")."""
    want_set = set(want)
    return sum(1 for word in got if "-" in word and word not in want_set and word.replace("-", "") in want_set)


def measure_overhead(calls: int) -> None:
    """Print the cost of the child process: pdf_to_text vs extract_pdf in-process, on a 1-page PDF."""
    from tests.pdfgen import make_pdf
    from watcher.normalize.pdf import extract_pdf, pdf_to_text, run_limited

    data = make_pdf(PARAGRAPHS[:2])
    pdf_to_text(data)  # starts the forkserver
    rows = [("child process, no-op job", lambda: run_limited(len, (b"",), timeout=10, memory_bytes=1 << 30)),
            ("pdf_to_text, 1-page PDF", lambda: pdf_to_text(data)),
            ("extract_pdf in-process", lambda: extract_pdf(data))]
    print(f"# per-call cost, median of {calls} calls")
    for label, call in rows:
        timings = []
        for _ in range(calls):
            started = time.perf_counter()
            call()
            timings.append(time.perf_counter() - started)
        print(f"{label:28} {statistics.median(timings) * 1000:7.2f} ms")


def main() -> None:
    """Build the corpus, score every extractor on every sample, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="timing runs per sample (median is used)")
    parser.add_argument("--size", type=int, default=3, help="times the body text is repeated per sample")
    parser.add_argument("--overhead", type=int, default=0, metavar="N",
                        help="instead, time N calls of pdf_to_text against in-process extraction")
    options = parser.parse_args()
    if options.overhead:
        measure_overhead(options.overhead)
        return
    samples = corpus(options.size)
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print(f"# {len(samples)} samples, body repeated {options.size}x, timing = median of {options.repeat}\n")
    header = f"{'sample':26} {'extractor':22} {'pages':>5} {'words%':>7} {'bad':>4} {'split':>5} " \
             f"{'merged':>6} {'blocks%':>7} {'ms/page':>8}"
    print(header)
    print("-" * len(header))
    totals: dict[str, list[Score]] = {name: [] for name in EXTRACTORS}
    for sample in samples:
        for name, extract in EXTRACTORS.items():
            result = score(sample, extract, options.repeat)
            totals[name].append(result)
            print(f"{sample.name:26} {name:22} {result.pages:5} {result.words:7.2f} {result.bad:4} "
                  f"{result.split:5} {result.merged:6} {result.blocks:7.1f} {result.ms_per_page:8.2f}")
        print()
    print(f"{'ALL (mean / sum)':26} {'extractor':22} {'':5} {'words%':>7} {'bad':>4} {'split':>5} "
          f"{'merged':>6} {'blocks%':>7} {'ms/page':>8}")
    for name, scores in totals.items():
        print(f"{'':26} {name:22} {sum(s.pages for s in scores):5} "
              f"{statistics.mean(s.words for s in scores):7.2f} {sum(s.bad for s in scores):4} "
              f"{sum(s.split for s in scores):5} {sum(s.merged for s in scores):6} "
              f"{statistics.mean(s.blocks for s in scores):7.1f} "
              f"{statistics.mean(s.ms_per_page for s in scores):8.2f}")


if __name__ == "__main__":
    main()
