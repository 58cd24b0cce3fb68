"""PDF stage: real generated PDFs through pdf_to_text, plus the pure cleanup functions one by one."""

from __future__ import annotations

import ctypes
import difflib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pypdfium2
import pytest

from tests.pdfgen import (
    HAS_UNICODE_FONTS,
    SOFT_HYPHEN,
    make_content_bomb,
    make_pdf,
    make_pdf_without_text,
    make_scaled_pdf,
)
from watcher.errors import NormalizeError
from watcher.normalize.pdf import (
    HeadingCandidate,
    PdfLine,
    heading_levels,
    is_heading_block,
    is_page_number,
    join_lines,
    join_pages,
    mark_headings,
    mark_paragraph_gaps,
    merge_lines,
    normalize_pages,
    pdf_to_text,
    remove_page_numbers,
    remove_running_lines,
    run_limited,
    should_drop_hyphen,
    word_vocabulary,
)
from watcher.normalize.text import clean_text

S = SOFT_HYPHEN
needs_unicode_fonts = pytest.mark.skipif(not HAS_UNICODE_FONTS, reason="DejaVu fonts not installed")

# Sample policy text written for these tests. Long words carry soft hyphens so that some of them
# end up hyphenated at line ends; which ones depends on the font and size.
DOCUMENT = [
    "# 1. Purpose of this policy",
    f"This policy sets out how the organi{S}sation assesses new models before they are made avail{S}able. "
    f"It covers internal evalu{S}ations, external red-teaming and the safe{S}guards that must be in place "
    f"before any deploy{S}ment decision. Each step is recorded so that an inde{S}pendent reviewer can "
    f"recon{S}struct the reasoning later.",
    "# 2. Thresholds",
    f"A model crosses a threshold when any evalu{S}ation in the relevant domain exceeds the warning "
    f"level agreed in advance. Crossing a threshold triggers addi{S}tional counter{S}measures, a "
    f"written justi{S}fication, and a review by the oversight committee within ten working days.",
    "- Weights are kept on access-controlled hardware with logging of every read.",
    "- Deployment stops automatically if monitoring detects a pattern of misuse that the filters missed "
    "and that the on-call team cannot explain within one hour.",
    "- Results are shared with the board.",
    "# 3. Review",
    f"The policy is reviewed every year. Changes are published together with an expla{S}nation of what "
    f"prompted them, and the previous version remains avail{S}able for compar{S}ison.",
] + [f"Annex item {n}. {text}" for n, text in enumerate([
    "Model weights are stored on dedicated hardware. Access requires two approvals, and every read is "
    "logged to an append-only journal that the security team reviews each week.",
    "Contractors receive time-limited credentials. Their access is revoked automatically when a "
    "contract ends, and a quarterly audit compares active accounts with the list of current engagements.",
    "Incidents are classified within one hour of discovery. Serious ones are reported to the board "
    "and, where the law requires it, to the competent authority within seventy-two hours.",
    "Autonomy evaluations ask the model to complete multi-step tasks in a sandbox. A task counts as "
    "completed only if an independent grader confirms the outcome from the logs alone.",
    "Persuasion studies use consenting adult volunteers and are approved by an ethics panel. "
    "Participants may withdraw at any time without giving a reason.",
    f"Cyber evaluations take place on isolated networks that mirror common enterprise setups; no test "
    f"ever touches systems that the organi{S}sation does not own.",
    "Biological questions are reviewed by external specialists who decide which answers would give "
    "meaningful uplift. Their decisions are final and are not disclosed in detail.",
    "Chemistry questions follow the same process with a separate panel, so that no single group sees "
    "the full set of sensitive prompts.",
    "Release dates are fixed only after the final evaluation report is signed. Marketing schedules "
    "never override a pending safety review.",
    f"External auditors choose their own sample of evaluations to repeat. Discrep{S}ancies above an "
    f"agreed tolerance are published along with our response.",
    "Staff may raise concerns anonymously through a channel run by an outside firm. Retaliation "
    "against anyone who uses it is a disciplinary offence.",
    "Each year we publish a report summarising evaluation results, incidents and changes to this policy, "
    "written so that a non-specialist can follow it.",
], start=1)]


def expected_text(paragraphs: list[str]) -> str:
    """What a perfect extraction returns: the paragraphs with their heading marks, no soft hyphens, cleaned.

    Levels rank the heading sizes a document uses, so the marks come out as written only if the
    document uses "#" whenever it uses "##", and "##" whenever it uses "###" (make_pdf's sizes).
    """
    return clean_text("\n".join(paragraphs).replace(S, ""))


def heading_lines(text: str) -> list[str]:
    """The lines of a text that carry heading marks."""
    return [line for line in text.splitlines() if line.startswith("#")]


def raw_pdfium_text(data: bytes) -> str:
    """All page text exactly as PDFium gives it (U+FFFE marks a hyphen that ended a line)."""
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def descendant_pids() -> set[int]:
    """PIDs of every process below this one (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        children.setdefault(int(fields["PPid"]), []).append(int(fields["Pid"]))
    found: set[int] = set()
    stack = [os.getpid()]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


# --------------------------------------------------------------------------------------------------
# End to end, through the child process.
# --------------------------------------------------------------------------------------------------

def test_text_round_trips_across_pages_with_title_and_page_count() -> None:
    result = pdf_to_text(make_pdf(DOCUMENT, title="Model Release Policy"))
    assert result.pages >= 2
    assert result.title == "Model Release Policy"
    assert result.text == expected_text(DOCUMENT)


def test_empty_metadata_title_gives_none() -> None:
    assert pdf_to_text(make_pdf(DOCUMENT[:2], title="")).title is None


@pytest.mark.parametrize("page_label", ["Page {page} of {pages}", "{page}", "- {page} -"])
def test_page_numbers_and_running_header_are_removed(page_label: str) -> None:
    data = make_pdf(DOCUMENT, header="Example Lab Release Policy v2 - internal", page_number_format=page_label)
    raw = raw_pdfium_text(data)
    assert raw.count("Example Lab Release Policy v2") >= 2  # the header really is on every page
    result = pdf_to_text(data)
    assert result.pages >= 2
    assert result.text == expected_text(DOCUMENT)


def test_words_hyphenated_at_line_ends_are_joined() -> None:
    data = make_pdf(DOCUMENT)
    hyphenated = [piece.split()[-1] for piece in raw_pdfium_text(data).split("\ufffe")[:-1]]
    assert hyphenated, "the layout should have hyphenated at least one word at a line end"
    assert pdf_to_text(data).text == expected_text(DOCUMENT)


def test_compounds_broken_at_their_hyphen_keep_it() -> None:
    sentence = ("Reviews rely on well-known methods, third-party auditors and cross-checked results. "
                "They are never self-assessed. ")
    paragraphs = [sentence * 12]
    data = make_pdf(paragraphs, font_size=10)
    raw_line_ends = raw_pdfium_text(data).split("\ufffe")[:-1]
    assert any(end.endswith(("well", "third", "cross", "self")) for end in raw_line_ends)
    assert pdf_to_text(data).text == expected_text(paragraphs)


def test_reexport_with_other_metadata_fonts_and_compression_gives_identical_text() -> None:
    original = make_pdf(DOCUMENT)
    variants = [
        make_pdf(DOCUMENT, metadata={"author": "Someone Else", "producer": "Another Tool 9.1",
                                     "keywords": "policy"},
                 creation_date=datetime(2025, 6, 30, 12, 0, tzinfo=timezone.utc)),
        make_pdf(DOCUMENT, compress=False),
        make_pdf(DOCUMENT, font_size=9, header="Draft for discussion"),
        make_pdf(DOCUMENT, font_size=13, page_number_format="{page}"),
        make_pdf(DOCUMENT, font="serif" if HAS_UNICODE_FONTS else "core"),
        make_pdf(DOCUMENT, font="core"),
    ]
    assert len({original, *variants}) == len(variants) + 1  # all different files
    texts = {pdf_to_text(data).text for data in [original, *variants]}
    assert texts == {expected_text(DOCUMENT)}


# Two heading sizes and numbered bold headings at text size, among things that are not headings: a
# bold lead-in, a numbered list item, a bullet, a large-print sentence, and a contents entry in bold.
LEVELS_DOCUMENT = [
    "# Frontier Safety Framework",
    "Contents",
    "### 1 Scope and definitions 2",
    "This framework describes how we evaluate models for dangerous capabilities and which safeguards we "
    "apply before and after deployment. It is reviewed every year by the board.",
    "## 1. Scope",
    "The framework applies to every model we train with more compute than our previous frontier model, "
    "and to every model we make available to customers or to the public.",
    "### 1.1 Covered models",
    "A model is covered from the start of its training run until it is retired and its weights deleted.",
    "### Note on terminology",
    "Terms in bold are defined in the glossary at the end of this document and keep that meaning throughout.",
    "1. Evaluations run before every release.",
    "- Results are shared with the board.",
    "## We will pause training when a threshold is crossed.",
    "# 2. Capability Thresholds And The Safeguards That Each Of Them Requires Before Any Release",
    "Each threshold names a capability and the evaluations that measure it. Crossing one triggers the "
    "safeguards listed for it, and deployment waits until they are in place.",
    "## Appendix A",
    "The glossary lists every defined term with a short explanation and a reference to the section where "
    "it is used first.",
]
LEVELS_EXPECTED_HEADINGS = [
    "# Frontier Safety Framework", "## 1. Scope", "### 1.1 Covered models",
    "# 2. Capability Thresholds And The Safeguards That Each Of Them Requires Before Any Release",
    "## Appendix A",
]


def test_headings_are_marked_by_font_size_and_body_paragraphs_are_not() -> None:
    text = pdf_to_text(make_pdf(DOCUMENT)).text
    assert heading_lines(text) == ["# 1. Purpose of this policy", "# 2. Thresholds", "# 3. Review"]
    assert text == expected_text(DOCUMENT)


def test_heading_sizes_rank_into_levels_and_lookalikes_stay_body_text() -> None:
    data = make_pdf(LEVELS_DOCUMENT)
    raw = raw_pdfium_text(data)
    wrapped = LEVELS_DOCUMENT[14][2:]
    assert wrapped not in raw and wrapped in raw.replace("\r\n", " ")  # the long heading wraps
    text = pdf_to_text(data).text
    assert heading_lines(text) == LEVELS_EXPECTED_HEADINGS
    lines = text.splitlines()
    for body in ["Contents", "1 Scope and definitions 2", "Note on terminology",
                 "1. Evaluations run before every release.", "- Results are shared with the board.",
                 "We will pause training when a threshold is crossed."]:
        assert body in lines


@pytest.mark.parametrize("variant", [
    {"font": "core"}, {"font": "serif"}, {"font_size": 9}, {"font_size": 13, "compress": False},
    {"metadata": {"producer": "Another Tool 9.1"},
     "creation_date": datetime(2025, 6, 30, tzinfo=timezone.utc)},
])
def test_heading_levels_survive_reexport_with_other_fonts_and_sizes(variant: dict[str, object]) -> None:
    original = pdf_to_text(make_pdf(LEVELS_DOCUMENT)).text
    assert pdf_to_text(make_pdf(LEVELS_DOCUMENT, **variant)).text == original  # type: ignore[arg-type]


def test_headings_are_found_when_the_text_matrix_scales_a_one_point_font() -> None:
    body = "Body text is printed at ten points by scaling a font of size one with the text matrix"
    lines = [(24.0, "Frontier Safety Framework"), (16.0, "1. Introduction"), *[(10.0, body)] * 4,
             (10.0, "and the paragraph ends here."), (16.0, "2. Capability Levels"), *[(10.0, body)] * 3,
             (10.0, "The end.")]
    text = pdf_to_text(make_scaled_pdf(lines)).text
    assert text.splitlines() == ["# Frontier Safety Framework", "## 1. Introduction",
                                 " ".join([body] * 4 + ["and the paragraph ends here."]),
                                 "## 2. Capability Levels", " ".join([body] * 3 + ["The end."])]


def test_make_pdf_is_deterministic_but_metadata_changes_bytes() -> None:
    assert make_pdf(DOCUMENT) == make_pdf(DOCUMENT)
    assert make_pdf(DOCUMENT) != make_pdf(DOCUMENT, metadata={"author": "A. Person"})
    assert make_pdf(DOCUMENT) != make_pdf(DOCUMENT, creation_date=datetime(2023, 5, 1, tzinfo=timezone.utc))


def test_one_changed_word_changes_only_that_word() -> None:
    changed = [p.replace("ten working days", "fifteen working days") for p in DOCUMENT]
    before = pdf_to_text(make_pdf(DOCUMENT)).text
    after = pdf_to_text(make_pdf(changed)).text
    before_words, after_words = before.split(), after.split()
    edits = [op for op in difflib.SequenceMatcher(None, before_words, after_words, autojunk=False).get_opcodes()
             if op[0] != "equal"]
    assert [(tag, before_words[i1:i2], after_words[j1:j2]) for tag, i1, i2, j1, j2 in edits] == [
        ("replace", ["ten"], ["fifteen"])]
    assert len(before.splitlines()) == len(after.splitlines())


@needs_unicode_fonts
def test_curly_quotes_and_non_latin_text_survive() -> None:
    paragraphs = ["The \u201ccompute threshold\u201d is the board\u2019s decision \u2014 not the team\u2019s. " * 3,
                  "Политика пересматривается ежегодно, а изменения публикуются вместе с объяснением. " * 3,
                  "Η πολιτική αναθεωρείται κάθε χρόνο και οι αλλαγές δημοσιεύονται με αιτιολόγηση. " * 3]
    text = pdf_to_text(make_pdf(paragraphs)).text
    assert text == expected_text(paragraphs)
    assert '"compute threshold"' in text and "Политика" in text


def test_pdf_without_text_is_rejected() -> None:
    with pytest.raises(NormalizeError, match="no extractable text"):
        pdf_to_text(make_pdf_without_text())


@pytest.mark.parametrize(("data", "message"), [
    (b"<!doctype html><html><body>Not found</body></html>", "not a PDF"),
    (b"", "not a PDF"),
    (b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", "corrupt PDF"),
])
def test_broken_input_fails_fast(data: bytes, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(NormalizeError, match=message):
        pdf_to_text(data)
    assert time.monotonic() - started < 5


def test_truncated_pdf_fails_fast() -> None:
    data = make_pdf(DOCUMENT)
    started = time.monotonic()
    with pytest.raises(NormalizeError, match="truncated PDF"):
        pdf_to_text(data[: len(data) * 2 // 3])
    assert time.monotonic() - started < 5


def test_slow_pdf_is_killed_at_the_time_limit() -> None:
    bomb = make_content_bomb(3_000_000)  # ~90 KB; takes PDFium well over 10 s to lay out
    started = time.monotonic()
    with pytest.raises(NormalizeError, match=r"exceeded 1s"):
        pdf_to_text(bomb, timeout=1.0, memory_bytes=16 << 30)
    assert time.monotonic() - started < 3


def test_memory_hungry_pdf_hits_the_memory_limit() -> None:
    bomb = make_content_bomb(1_000_000)  # needs ~900 MB
    with pytest.raises(NormalizeError, match="exceeded memory limit"):
        pdf_to_text(bomb, memory_bytes=256 << 20, timeout=30)


def test_tiny_memory_limit_fails_even_a_normal_pdf() -> None:
    with pytest.raises(NormalizeError, match="exceeded memory limit"):
        pdf_to_text(make_pdf(DOCUMENT), memory_bytes=8 << 20)


def test_child_crash_becomes_normalize_error() -> None:
    with pytest.raises(NormalizeError, match="crashed.*SIGSEGV"):
        run_limited(ctypes.string_at, (0,), timeout=10, memory_bytes=1 << 30)


def test_failures_leave_no_processes_behind() -> None:
    pdf_to_text(make_pdf(DOCUMENT[:2]))  # starts the forkserver (and resource tracker), which stay
    baseline = descendant_pids()
    with pytest.raises(NormalizeError):
        pdf_to_text(make_content_bomb(3_000_000), timeout=0.5)
    with pytest.raises(NormalizeError):
        run_limited(ctypes.string_at, (0,), timeout=10, memory_bytes=1 << 30)
    with pytest.raises(NormalizeError):
        pdf_to_text(b"%PDF-1.7\n" + bytes(200) + b"\n%%EOF\n")
    pdf_to_text(make_pdf(DOCUMENT[:2]))
    assert descendant_pids() == baseline


def test_parallel_calls_from_threads_are_independent() -> None:
    good = make_pdf(DOCUMENT)
    jobs = [good, b"%PDF-1.7\ngarbage\n%%EOF\n"] * 6
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(_text_or_error, jobs))
    assert outcomes == [expected_text(DOCUMENT), "NormalizeError"] * 6


def _text_or_error(data: bytes) -> str:
    """The extracted text, or "NormalizeError"."""
    try:
        return pdf_to_text(data).text
    except NormalizeError:
        return "NormalizeError"


# --------------------------------------------------------------------------------------------------
# Pure functions.
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line", ["3", "12", "- 3 -", "Page 3", "page 3 of 12", "3 of 12", "3/12", "iv", "xii"])
def test_page_number_styles_are_recognised(line: str) -> None:
    assert is_page_number(line)


@pytest.mark.parametrize("line", ["2024", "I", "civil", "3. Scope", "Page three", "Section 3", "v2 draft"])
def test_other_short_lines_are_not_page_numbers(line: str) -> None:
    assert not is_page_number(line)


def test_page_numbers_are_removed_only_near_page_edges() -> None:
    page = ["7", "Intro line.", "Level", "3", "Low", "more text", "last line.", "7"]
    assert remove_page_numbers([page]) == [["Intro line.", "Level", "3", "Low", "more text", "last line."]]


def test_running_lines_with_changing_digits_are_removed() -> None:
    words = ["alpha", "beta", "gamma", "delta"]
    pages = [[f"Policy v2 - page {n}", f"Body about {word}.", f"More on {word}.", f"Printed 2024-0{n}-01"]
             for n, word in enumerate(words, start=1)]
    assert remove_running_lines(pages) == [[f"Body about {word}.", f"More on {word}."] for word in words]


def test_repeated_body_lines_that_move_around_are_kept() -> None:
    pages = [["Header", "Same sentence.", "a", "b", "c", "d"], ["Header", "x", "Same sentence.", "y", "z", "w"]]
    assert remove_running_lines(pages) == [["Same sentence.", "a", "b", "c", "d"], ["x", "Same sentence.", "y", "z", "w"]]


def test_single_page_keeps_its_lines() -> None:
    assert remove_running_lines([["Header", "Body."]]) == [["Header", "Body."]]


FULL = ("Text " * 12).strip()  # stands in for a full-width line in merge tests


def test_merge_joins_wrapped_lines_and_splits_at_blank_lines() -> None:
    lines = ["The first paragraph runs across several", "lines of text until it reaches the", "end.", "",
             FULL, FULL, "ends here."]
    assert merge_lines(lines) == ["The first paragraph runs across several lines of text until it reaches the end.",
                                  f"{FULL} {FULL} ends here."]


def test_merge_starts_blocks_at_list_markers_headings_and_short_sentence_ends() -> None:
    lines = [FULL, "short end of a paragraph.", "Heading Without Period", FULL, FULL, "- bullet one",
             "- bullet two that", "wraps", "1. numbered", "(a) lettered", FULL, "line ending a sentence.",
             "Next paragraph", "continues in lower case", "after a short line."]
    assert merge_lines(lines) == [
        f"{FULL} short end of a paragraph.", "Heading Without Period", f"{FULL} {FULL}", "- bullet one",
        "- bullet two that wraps", "1. numbered", "(a) lettered", f"{FULL} line ending a sentence.",
        "Next paragraph continues in lower case after a short line.",
    ]


def test_full_width_line_ending_a_sentence_does_not_end_the_paragraph() -> None:
    sentence_end = "y" * 58 + "."
    assert merge_lines([FULL, sentence_end, FULL, "And more."]) == [f"{FULL} {sentence_end} {FULL} And more."]


@pytest.mark.parametrize(("left", "right", "joined"), [
    ("we add safe-", "guards now", "we add safeguards now"),
    ("a well-", "known method", "a well-known method"),
    ("a self-", "assessment", "a self-assessment"),
    ("state-of-the-", "art models", "state-of-the-art models"),
    ("non-", "English text", "non-English text"),
    ("before COVID-", "19 began", "before COVID-19 began"),
    ("a spaced dash -", "then text", "a spaced dash - then text"),
    ("模型的安全", "评估", "模型的安全评估"),
])
def test_join_lines(left: str, right: str, joined: str) -> None:
    assert join_lines(left, right, frozenset()) == joined


def test_document_usage_decides_hyphenation() -> None:
    vocabulary = word_vocabulary(["Our counter-measures and our safeguards.", "Also a long-standing rule."])
    assert not should_drop_hyphen("counter-", "measures", vocabulary)
    assert should_drop_hyphen("safe-", "guards", vocabulary)
    assert should_drop_hyphen("frame-", "work", vocabulary)     # no evidence, not a compound head
    assert not should_drop_hyphen("well-", "known", vocabulary)  # no evidence, compound head
    assert not should_drop_hyphen("long-", "standing", vocabulary)


def test_geometry_marks_paragraph_gaps_and_size_changes() -> None:
    body = [PdfLine(f"line {n}", baseline=700 - 14 * n, font_size=11) for n in range(5)]
    after_gap = [PdfLine("after gap", baseline=body[-1].baseline - 30, font_size=11),
                 PdfLine("Big Heading", baseline=body[-1].baseline - 55, font_size=16),
                 PdfLine("body again", baseline=body[-1].baseline - 75, font_size=11)]
    unknown = [PdfLine("no geometry"), PdfLine("still none")]
    pages = mark_paragraph_gaps([body + after_gap, unknown])
    assert pages == [[*(f"line {n}" for n in range(5)), "", "after gap", "", "Big Heading", "", "body again"],
                     ["no geometry", "still none"]]
    candidates = [line for page in pages for line in page if isinstance(line, HeadingCandidate)]
    assert candidates == ["Big Heading"]
    assert candidates[0].ratio == pytest.approx(16 / 11) and not candidates[0].bold


def test_bold_lines_at_body_size_are_candidates_and_smaller_ones_are_not() -> None:
    lines = [PdfLine("Body text line.", baseline=700 - 14 * n, font_size=10) for n in range(5)]
    lines += [PdfLine("4.2 Thresholds", baseline=600, font_size=10, bold=True),
              PdfLine("1 Footnote", baseline=580, font_size=7, bold=True)]
    page = mark_paragraph_gaps([lines])[0]
    candidates = [line for line in page if isinstance(line, HeadingCandidate)]
    assert candidates == ["4.2 Thresholds"] and candidates[0].bold


def _candidate(text: str, ratio: float = 1.5, bold: bool = False) -> HeadingCandidate:
    return HeadingCandidate(text, ratio, bold)


@pytest.mark.parametrize(("text", "bold", "heading"), [
    ("Capability thresholds", False, True),
    ("What does a threshold mean for deployment?", False, True),
    ("4.2 Capability thresholds.", False, True),        # a numbered heading may end with a period
    ("Appendix A", False, True),
    ("Section 3: Governance", True, True),
    ("4.2 Capability thresholds", True, True),
    ("IV. Review", True, True),
    ("We will pause training when a threshold is crossed.", False, False),  # large-print sentence
    ("Key commitments:", False, False),
    ("T", False, False),                                 # a drop cap
    ("2024", False, False),
    ("- A bullet in a large font", False, False),
    ("continued from the previous page", False, False),
    ("Capability thresholds and the safeguards that each of them requires before any release to customers "
     "or the public", False, False),                      # too long
    ("Capability thresholds", True, False),              # bold at body size needs a section number
    ("2 approvals are required", True, True),            # (a number is a number)
    ("1 Introduction 3", True, False),                   # a contents entry
    ("1. Introduction .......... 3", False, False),      # dot leaders
])
def test_is_heading_block(text: str, bold: bool, heading: bool) -> None:
    assert is_heading_block(_candidate(text, 1.0 if bold else 1.5, bold)) is heading


def test_heading_levels_rank_sizes_and_group_near_ones() -> None:
    assert heading_levels([1.8, 1.4, 1.2, 1.0]) == {1.8: 1, 1.4: 2, 1.2: 3, 1.0: 3}
    assert heading_levels([1.45, 1.4, 1.36, 1.2]) == {1.45: 1, 1.4: 1, 1.36: 1, 1.2: 2}
    assert heading_levels([1.0]) == {1.0: 1}
    assert heading_levels([]) == {}


def test_mark_headings_marks_only_heading_blocks_and_returns_plain_text() -> None:
    blocks = ["Body text.", _candidate("Main", 2.0), _candidate("A large-print sentence.", 2.0),
              _candidate("Sub", 1.3), _candidate("4.2 Bold", 1.0, bold=True),
              _candidate("Plain bold", 1.0, bold=True)]
    marked = mark_headings(blocks)
    assert marked == ["Body text.", "# Main", "A large-print sentence.", "## Sub", "### 4.2 Bold",
                      "Plain bold"]
    assert not any(isinstance(block, HeadingCandidate) for block in marked)


def test_merge_keeps_heading_lines_of_one_size_together_and_apart_from_other_sizes() -> None:
    # Full lines are 59 characters; at 1.4 times the size, 32 characters fill a line as 45 body ones do.
    lines = [_candidate("Capability Thresholds And All The", 1.4), _candidate("Required Safeguards", 1.4),
             _candidate("1.1 Next Heading", 1.4), _candidate("Fabio Fiorina", 1.4),
             _candidate("Simon Josefsson", 1.4),
             _candidate("Smaller Heading", 1.2), "Body After It", "runs on.", FULL, FULL, FULL,
             _candidate("4.2 Bold heading", 1.0, bold=True), "at body size continues"]
    blocks = merge_lines(lines)
    assert blocks == ["Capability Thresholds And All The Required Safeguards", "1.1 Next Heading",
                      "Fabio Fiorina", "Simon Josefsson", "Smaller Heading", "Body After It runs on.",
                      f"{FULL} {FULL} {FULL}", "4.2 Bold heading at body size continues"]
    styles = [(block.ratio, block.bold) if isinstance(block, HeadingCandidate) else None for block in blocks]
    assert styles == [(1.4, False)] * 4 + [(1.2, False), None, None, (1.0, True)]


def test_page_breaks_continue_sentences_but_end_finished_ones() -> None:
    pages = [["", "A sentence that runs on to the", ""], ["next page.", "A paragraph ends here.", ""],
             ["", "New paragraph on a new page."]]
    assert join_pages(pages) == ["A sentence that runs on to the", "next page.", "A paragraph ends here.", "",
                                 "New paragraph on a new page."]


def test_normalize_pages_runs_the_whole_cleanup() -> None:
    pages = [["Lab Policy v1 \u2014 page 1", "The \u201cpolicy\u201d applies to every", "model we train.", "1"],
             ["Lab Policy v1 \u2014 page 2", "It is reviewed by the com-", "mittee every year.", "2"]]
    assert normalize_pages(pages) == 'The "policy" applies to every model we train.\n' \
                                     "It is reviewed by the committee every year."
