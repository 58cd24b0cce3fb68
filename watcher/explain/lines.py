"""The non-empty lines of a text with their offsets and heading levels, and the patterns lines are read by."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKS = re.compile(r"^(#{1,6})\s+")
_TOC_LINE = re.compile(r"(?:\.{4,}|…{2,}|(?:\. ){4,})\s*\d*\s*$")
_PAGE_NUMBER = re.compile(r"(?:page\s+)?\d{1,4}(?:\s+of\s+\d{1,4})?|[-–]\s*\d{1,4}\s*[-–]", re.IGNORECASE)
_TERMINAL = re.compile(r"[.!?:;][\"')\]”’]*$")


@dataclass(frozen=True)
class _Line:
    """One line of a text: where it starts, its words without heading marks, its heading level if marked."""

    start: int
    end: int
    text: str
    level: int | None


def _lines(text: str) -> list[_Line]:
    """The non-empty lines of text with their offsets."""
    lines = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            marks = _MARKS.match(stripped)
            level = len(marks.group(1)) if marks else None
            lines.append(_Line(pos, pos + len(raw), stripped[marks.end():].strip() if marks else stripped, level))
        pos += len(raw) + 1
    return lines


def _word_count(text: str) -> int:
    """How many whitespace-separated words text has."""
    return len(text.split())


def _running_key(text: str) -> str:
    """A line with its numbers blanked, so "Framework | 16" and "Framework | 17" are the same footer."""
    return re.sub(r"\d+", "#", text)
