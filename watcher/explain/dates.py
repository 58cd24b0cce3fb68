"""Dates and version labels as they appear in text: ISO dates, canonical labels, and text without either."""

from __future__ import annotations

import re
from datetime import date

from watcher.explain.lines import _word_count

_MONTH_NUMBERS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
    ("nov", "november"), ("dec", "december")), start=1) for name in names}
_MONTH = r"(?P<m>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
         r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DAY = r"(?P<d>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>(?:19|20)\d{2})"
_DATE_PATTERNS = (
    re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)\b"),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\.?,?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\.?\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\.?,?\s+{_YEAR}\b", re.IGNORECASE),
)

_VERSION_WORD = re.compile(r"\bver(?:sion|\.)?\s*[:#]?\s*(\d+(?:\.\d+)*[a-z]?)\b", re.IGNORECASE)
_VERSION_V = re.compile(r"(?<![\w./])v\.?\s?(\d+(?:\.\d+)*)\b", re.IGNORECASE)
_VERSION_YEAR = re.compile(r"\b([A-Z]{2,8}-(?:19|20)\d{2})\b")
_VERSION_STAGE = re.compile(r"^\(?(beta|draft|alpha|preview|pilot)\)?$|\((beta|draft|alpha|preview|pilot)\)",
                            re.IGNORECASE)
_LABEL_LINE_MAX_WORDS = 20


def _date_spans(text: str) -> list[tuple[int, int, str]]:
    """Every date in text as (start, end, "YYYY-MM-DD" or "YYYY-MM"), earlier patterns winning overlaps."""
    spans: list[tuple[int, int, str]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(start < match.end() and match.start() < end for start, end, _ in spans):
                continue
            iso = _iso_date(match)
            if iso:
                spans.append((match.start(), match.end(), iso))
    return sorted(spans)


def _iso_date(match: re.Match[str]) -> str | None:
    """The matched date as YYYY-MM-DD (or YYYY-MM without a day), None if it is no real date."""
    month_text = match.group("m").lower()
    month = int(month_text) if month_text.isdigit() else _MONTH_NUMBERS[month_text.rstrip(".")]
    year = int(match.group("y"))
    day_text = match.groupdict().get("d")
    try:
        if day_text is None:
            date(year, month, 1)
            return f"{year:04d}-{month:02d}"
        return date(year, month, int(day_text)).isoformat()
    except ValueError:
        return None


def _version_in(line: str) -> str | None:
    """The version label a line carries ("Version 3.1", "v2.0", "RSP-2024", "Beta"), if any."""
    if _word_count(line) > _LABEL_LINE_MAX_WORDS:
        return None
    if match := _VERSION_WORD.search(line):
        return f"Version {match.group(1)}"
    if match := _VERSION_V.search(line):
        return f"v{match.group(1)}"
    if match := _VERSION_YEAR.search(line):
        return match.group(1)
    if match := _VERSION_STAGE.search(line):
        return (match.group(1) or match.group(2)).capitalize()
    return None


def _canonical_label(label: str | None) -> str | None:
    """A label reduced for comparison: "Version 2.0", "v2" and "V2" are all "2"."""
    if label is None:
        return None
    if _VERSION_YEAR.fullmatch(label):
        return label.lower()
    number = re.search(r"\d+(?:\.\d+)*", label)
    if not number:
        return label.lower()
    canonical = number.group(0)
    while canonical.endswith(".0"):
        canonical = canonical[:-2]
    return canonical + label[number.end():].strip().lower()


def _is_dated_or_versioned(text: str) -> bool:
    """Whether text carries a date or a version label."""
    return bool(_date_spans(text)) or _version_in(text) is not None


def _without_dates_and_versions(text: str) -> str:
    """Text with its dates and version labels blanked, so "May 14, 2025 (RSP v2.2)" names nothing."""
    for start, end, _ in reversed(_date_spans(text)):
        text = text[:start] + " " + text[end:]
    text = _VERSION_WORD.sub(" ", text)
    return _VERSION_V.sub(" ", text)


def _labels_in(text: str) -> list[str]:
    """Every version label mentioned in text."""
    found = [f"Version {m.group(1)}" for m in _VERSION_WORD.finditer(text)]
    found += [f"v{m.group(1)}" for m in _VERSION_V.finditer(text)]
    return found + [m.group(1) for m in _VERSION_YEAR.finditer(text)]
