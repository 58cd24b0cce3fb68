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

Modules, in import order (each imports only those before it): model (data types), isolation (child
process, forkserver and limits), headings, lines (merging, hyphenation), layout (page numbers, running
headers/footers), geometry (gaps, heading candidates), cleanup (normalize_pages), extract (pdf_to_text,
check_whole_pdf, PDFium reading).
"""

from __future__ import annotations

from watcher.normalize.pdf.cleanup import join_pages, normalize_pages, prepare_line
from watcher.normalize.pdf.extract import (
    BOLD_WEIGHT,
    check_whole_pdf,
    extract_pdf,
    pdf_to_text,
    read_textpage_lines,
)
from watcher.normalize.pdf.geometry import (
    GAP_FACTOR,
    HEADING_SIZE_RATIO,
    SIZE_CHANGE,
    body_font_size,
    heading_candidate,
    mark_paragraph_gaps,
    typical_leading,
)
from watcher.normalize.pdf.headings import (
    LEVEL_GAP,
    MAX_HEADING_LEVEL,
    MAX_HEADING_WORDS,
    heading_levels,
    is_heading_block,
    mark_headings,
)
from watcher.normalize.pdf.isolation import run_limited
from watcher.normalize.pdf.layout import (
    PAGE_NUMBER_ZONE,
    RUNNING_LINE_ZONE,
    is_page_number,
    remove_page_numbers,
    remove_running_lines,
    running_line_key,
)
from watcher.normalize.pdf.lines import (
    COMPOUND_HEADS,
    SHORT_LINE_RATIO,
    hyphenates_words,
    join_lines,
    merge_lines,
    should_drop_hyphen,
    starts_new_block,
    typical_line_length,
    word_vocabulary,
)
from watcher.normalize.pdf.model import HeadingCandidate, Page, PdfLine, PdfText

__all__ = [
    "BOLD_WEIGHT",
    "COMPOUND_HEADS",
    "GAP_FACTOR",
    "HEADING_SIZE_RATIO",
    "LEVEL_GAP",
    "MAX_HEADING_LEVEL",
    "MAX_HEADING_WORDS",
    "PAGE_NUMBER_ZONE",
    "RUNNING_LINE_ZONE",
    "SHORT_LINE_RATIO",
    "SIZE_CHANGE",
    "HeadingCandidate",
    "Page",
    "PdfLine",
    "PdfText",
    "body_font_size",
    "check_whole_pdf",
    "extract_pdf",
    "heading_candidate",
    "heading_levels",
    "hyphenates_words",
    "is_heading_block",
    "is_page_number",
    "join_lines",
    "join_pages",
    "mark_headings",
    "mark_paragraph_gaps",
    "merge_lines",
    "normalize_pages",
    "pdf_to_text",
    "prepare_line",
    "read_textpage_lines",
    "remove_page_numbers",
    "remove_running_lines",
    "run_limited",
    "running_line_key",
    "should_drop_hyphen",
    "starts_new_block",
    "typical_leading",
    "typical_line_length",
    "word_vocabulary"
]
