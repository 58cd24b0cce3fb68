"""Lines, sentences and headings of a document, and its memoised index (_DocIndex) for finding sentences."""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watcher.classify.canon import _HAS_WORD, _canon_tokens

_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9•●-])")
_MARKDOWN_HEADING = re.compile(r"^#+\s+(.*\S)")
_NUMBERED_HEADING = re.compile(
    r"^(?:(?:section|appendix|annex|part|chapter)\s+[\dA-Z]{1,3}[.:]?\s+|\d{1,2}(?:\.\d{1,2})*\.?\s+"
    r"|[A-Z][.)]\s+|[IVX]{1,5}[.)]\s+)(?P<title>[A-Z].*)$", re.IGNORECASE)
_TERMINAL_PUNCTUATION = (".", ",", ";", ":", "?", "!")


_ENUMERATOR = re.compile(r"^\W*(?:\d{1,2}(?:\.\d{1,2})*|[a-z]|[ivx]{1,4})[.)]$", re.IGNORECASE)


def _split_sentences(line: str, *, heading: bool | None = None) -> list[tuple[int, str]]:
    """(offset, sentence) pieces of one line; a heading, and an enumerator ("2.", "b)"), stay whole."""
    if heading if heading is not None else _heading_title(line) is not None:
        return [(0, line)] if line.strip() else []
    pieces: list[tuple[int, str]] = []
    start = 0
    for brk in _SENTENCE_BREAK.finditer(line):
        if not _ENUMERATOR.match(line[start:brk.start()].strip()):
            pieces.append((start, line[start:brk.start()]))
            start = brk.end()
    pieces.append((start, line[start:]))
    return [(offset, piece) for offset, piece in pieces if piece.strip()]


def _heading_title(line: str) -> str | None:
    """The heading text if the line is a heading: "# x", "4.2 Capability Thresholds", or a short title."""
    line = line.strip()
    if _is_page_number_line(line):
        return None
    if match := _MARKDOWN_HEADING.match(line):
        return match.group(1)
    if not line or "|" in line or line.endswith(_TERMINAL_PUNCTUATION) or _is_toc_line(line):
        return None
    words = line.split()
    if match := _NUMBERED_HEADING.match(line):
        return line if len(words) <= 12 else None
    if len(words) > 8 or not line[0].isupper() or not any(len(w) >= 3 and w.isalpha() for w in words):
        return None
    long_words = [w for w in words if len(w) >= 4]
    return line if sum(w[0].isupper() for w in long_words) * 2 >= len(long_words) else None


@dataclass(frozen=True)
class _Sentence:
    """One sentence of a document, with its canonical token set."""

    text: str
    start: int
    tokens: frozenset[str]


@dataclass(frozen=True)
class _DocIndex:
    """One text, indexed once: canonical form, sentences with postings, headings."""

    text: str
    canon: str  # " tok tok ... ": search " needle " for token-bounded matches
    sentences: tuple[_Sentence, ...]
    postings: Mapping[str, tuple[int, ...]]
    heading_starts: tuple[int, ...]
    headings: tuple[str, ...]

    def count(self, canon_needle: str) -> int:
        """How often the canonical token run occurs."""
        return self.canon.count(f" {canon_needle} ") if canon_needle else 0

    def heading_at(self, pos: int) -> str | None:
        """The nearest heading starting at or before pos."""
        i = bisect_right(self.heading_starts, pos) - 1
        return self.headings[i] if i >= 0 else None

    def headings_above(self, pos: int, limit: int = 4) -> list[str]:
        """Up to limit headings starting at or before pos, nearest first."""
        i = bisect_right(self.heading_starts, pos)
        return list(reversed(self.headings[max(0, i - limit):i]))

    def best_match(self, tokens: Sequence[str], threshold: float) -> tuple[float, _Sentence] | None:
        """The most similar sentence (Dice over token sets) if at least threshold."""
        query = frozenset(tokens)
        if not query:
            return None
        # A match shares >= needed query tokens, so any (len - needed + 1) of them include one of its.
        needed = threshold * len(query) / (2 - threshold)
        probes = sorted(query, key=lambda t: len(self.postings.get(t, ())))[:len(query) - int(needed) + 1]
        candidates = {i for token in probes for i in self.postings.get(token, ())}
        best: tuple[float, _Sentence] | None = None
        for i in candidates:
            sentence = self.sentences[i]
            score = 2 * len(query & sentence.tokens) / (len(query) + len(sentence.tokens))
            if score >= threshold and (best is None or score > best[0]):
                best = (score, sentence)
        return best


@functools.lru_cache(maxsize=8)
def _doc_index(text: str) -> _DocIndex:
    """Index a text (memoised: the same texts come back for every hunk of a change)."""
    sentences: list[_Sentence] = []
    postings: dict[str, list[int]] = defaultdict(list)
    heading_starts: list[int] = []
    headings: list[str] = []
    canon_lines: list[str] = []
    pos = 0
    for line in text.split("\n"):
        if (title := _heading_title(line)) is not None:
            heading_starts.append(pos)
            headings.append(title)
        for offset, piece in _split_sentences(line, heading=title is not None):
            tokens = _canon_tokens(piece)
            canon_lines.append(" ".join(tokens))
            if len(tokens) >= 3:
                for token in set(tokens):
                    postings[token].append(len(sentences))
                sentences.append(_Sentence(piece, pos + offset, frozenset(tokens)))
        pos += len(line) + 1
    canon = " " + " ".join(piece for piece in canon_lines if piece) + " "
    return _DocIndex(text, canon, tuple(sentences), {t: tuple(ids) for t, ids in postings.items()},
                     tuple(heading_starts), tuple(headings))


# --- contents entries and page numbers ---

_PAGE_LINE = re.compile(r"^(?:\[\[)?(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?(?:\]\])?$", re.IGNORECASE)
_DOTTED_LEADER = re.compile(r"(?:\.\s?){3,}\s*\d{1,4}$|…\s*\d{1,4}$")
_TOC_ENTRY = re.compile(r"^(?P<title>\S.*?)\s+(?P<page>\d{1,3})$")
_NOT_A_PAGE_NUMBER = re.compile(  # words after which a trailing number is a quantity or a label
    r"\b(?:version|v|level|tier|asl|sl|step|phase|stage|days?|weeks?|months?|years?|hours?|rev|edition|"
    r"no|number|than|least|most|to|of|in|every|within|and|or|by|at|the|a|an|is|are|was|be|top|over|under)$",
    re.IGNORECASE)
_MODAL_WORD = re.compile(r"\b(?:will|must|shall|may|might|could|should|would)\b", re.IGNORECASE)


def _is_page_number_line(line: str) -> bool:
    """A bare page number ("12", "Page 3 of 20", "# 7"), or a contents entry with dotted leaders."""
    line = line.strip().lstrip("#").strip()
    return bool(_PAGE_LINE.match(line) or _DOTTED_LEADER.search(line))


def _is_toc_line(line: str) -> bool:
    """A table-of-contents entry ("Appendix C: Thresholds 16") or a bare page number."""
    if _is_page_number_line(line):
        return True
    line = line.strip().lstrip("#").strip()
    match = _TOC_ENTRY.match(line)
    if not match or "|" in line:
        return False
    title = match["title"].rstrip()
    return (len(title.split()) <= 12 and (title[0].isupper() or title[0].isdigit())
            and not title.endswith((",", ";", ".")) and not _NOT_A_PAGE_NUMBER.search(title)
            and not _MODAL_WORD.search(title))


def _passage_sentences(text: str) -> list[str]:
    """The sentences of a passage that carry words."""
    return [s for line in text.split("\n") if not _is_page_number_line(line)
            for _, s in _split_sentences(line) if _HAS_WORD.search(s)]
