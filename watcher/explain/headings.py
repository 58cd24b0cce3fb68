"""What a line around a changelog is: a changelog heading, an entry heading, a label, a bullet, or noise."""

from __future__ import annotations

import re
from collections import Counter

from watcher.explain.dates import _date_spans, _is_dated_or_versioned, _without_dates_and_versions
from watcher.explain.lines import _PAGE_NUMBER, _TOC_LINE, _Line, _running_key, _word_count


def _running_lines(lines: list[_Line]) -> set[str]:
    """Keys of lines repeated three times or more: running headers and footers, never section headings."""
    counts = Counter(_running_key(line.text) for line in lines
                     if _word_count(line.text) <= 12 and not _is_entry_heading(line.text))
    return {key for key, count in counts.items() if count >= 3}


def _is_noise(line: _Line, running: set[str]) -> bool:
    """Whether a line is a page number, a running header/footer or a table-of-contents line."""
    return (bool(_PAGE_NUMBER.fullmatch(line.text)) or _running_key(line.text) in running
            or bool(_TOC_LINE.search(line.text)))


_NUMBERING = r"(?:(?:appendix|annex|section|part)\s+[a-z0-9]{1,4}\s*[:.)\-–]?\s*|[a-z]\s*[:.)\-–]?\s+|" \
             r"\d+(?:\.\d+)*\.?\s+)?"
_STRONG_TITLES = (r"change\s*-?\s*log", r"(?:version|revision|document|change|update)\s+history",
                  r"(?:past|recent)\s+(?:updates|changes|revisions)(?:\s+and\s+changes)?",
                  r"updates\s+and\s+changes", r"summary\s+of\s+(?:changes|revisions|updates)",
                  r"history\s+of\s+(?:changes|revisions|updates)", r"record\s+of\s+(?:changes|revisions)",
                  r"revision\s+log", r"release\s+notes", r"what(?:'s|\s+has)\s+changed",
                  r"changes\s+(?:in|to|from)\s+(?:this|the\s+previous|previous)\s+version")
_WEAK_TITLES = (r"updates", r"changes", r"revisions", r"amendments", r"(?:past|previous)\s+versions")
_STRONG_HEADING = re.compile(rf"{_NUMBERING}(?:{'|'.join(_STRONG_TITLES)})\s*:?", re.IGNORECASE)
_WEAK_HEADING = re.compile(rf"{_NUMBERING}(?:{'|'.join(_WEAK_TITLES)})\s*:?", re.IGNORECASE)

_ENTRY_HEADING_OTHER_WORDS = 3   # "v.2 24th July, 2026 Update", "September 19, 2023 (RSP v1.0)"
_HEADING_MAX_WORDS = 12
_UNMARKED_HEADING_MAX_WORDS = 8
_LABEL_WORDS = frozenset("""past previous prior current versions version changes change updates update revisions
    revision corrections correction substantive non-substantive minor major and of to the date dates description
    descriptions summary history notes note amendments amendment fixes fix author approved by effective
    published log changelog key""".split())


def _is_changelog_heading(text: str) -> bool:
    """Whether a line's text is a changelog or version-history heading (weak titles need dated entries)."""
    return bool(_STRONG_HEADING.fullmatch(text) or _WEAK_HEADING.fullmatch(text))


def _is_entry_heading(text: str) -> bool:
    """Whether a line heads a changelog entry: a date or version with at most a few other words."""
    if _word_count(text) > _HEADING_MAX_WORDS or not _is_dated_or_versioned(text):
        return False
    return _word_count(re.sub(r"[^\w\s]", " ", _without_dates_and_versions(text))) <= _ENTRY_HEADING_OTHER_WORDS


def _starts_entry(text: str) -> bool:
    """Whether a line (bullet aside) is an entry heading or starts with a date or version label."""
    bullet = _BULLET.match(text)
    body = text[bullet.end():] if bullet else text
    if _is_entry_heading(body):
        return True
    spans = _date_spans(body)
    return bool(spans and spans[0][0] == 0) or bool(re.match(r"v(?:er(?:sion)?)?\.?\s?\d", body, re.IGNORECASE))


def _is_label(text: str) -> bool:
    """Whether a line is only a changelog label ("Past versions", "Date", "Description of updates")."""
    words = re.findall(r"[a-z][a-z-]*", text.lower())
    return bool(words) and all(word in _LABEL_WORDS for word in words)


def _is_title_case(text: str) -> bool:
    """Whether most longer words of a line are capitalised, as in "Evaluations for Autonomous Capabilities"."""
    words = [word for word in re.findall(r"[A-Za-z][\w-]*", text) if len(word) >= 4]
    capitalised: int = sum(word[0].isupper() for word in words)
    return capitalised >= max(1.0, 0.6 * len(words))


_BULLET = re.compile(r"(?:[-*•●○▪◦■□➢►]|\(?\d{1,2}[.)]|\(?[a-z][.)]|\([ivx]{1,5}\)|[ivx]{1,5}[.)])\s+")
