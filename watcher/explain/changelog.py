"""The document's own changelog / version-history section, its entries, and the entries new in a version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from watcher.explain.entries import _entry_body, _entry_key, _split_entries
from watcher.explain.headings import (
    _BULLET,
    _STRONG_HEADING,
    _UNMARKED_HEADING_MAX_WORDS,
    _is_changelog_heading,
    _is_entry_heading,
    _is_label,
    _is_noise,
    _is_title_case,
    _running_lines,
    _starts_entry,
)
from watcher.explain.lines import _TERMINAL, _Line, _lines, _running_key, _word_count

SAME_ENTRY_SIMILARITY = 0.9  # an entry this similar to an old one is the old one (reflowed, typo fixed)

# Headings that end a changelog in text without heading marks (PDF): numbered sections, appendices,
# a lone appendix letter, and the usual back matter.
_STRUCTURAL_HEADING = re.compile(
    r"(?:appendix|annex|schedule|part)\s+[A-Z0-9]{1,4}\b.*|[A-Z]|(?:\d+(?:\.\d+)*\.?|[A-Z]\.)\s+[A-Z][^.]*|"
    r"(?i:glossary|references|bibliography|acknowledge?ments|definitions|endnotes|footnotes|notes|appendices|"
    r"contact(?:\s+us)?|about(?:\s+us)?|index)\s*:?")
_STRUCTURAL_MAX_WORDS = 10


@dataclass(frozen=True)
class _Section:
    """A changelog section: its span in the text (heading included) and its body lines."""

    start: int
    end: int
    body: tuple[_Line, ...]


def _changelog_section(text: str) -> _Section | None:
    """The document's changelog section: the last changelog heading whose body holds entries."""
    lines = _lines(text)
    running = _running_lines(lines)
    for index in range(len(lines) - 1, -1, -1):
        heading = lines[index]
        if _running_key(heading.text) in running or not _is_changelog_heading(heading.text):
            continue
        body = _section_body(lines, index, running)
        if not body:
            continue
        weak = not _STRONG_HEADING.fullmatch(heading.text)
        if weak and not any(_starts_entry(line.text) for line in body):
            continue  # an "Updates" section about how the policy gets updated, not a list of updates
        end = body[-1].end
        return _Section(heading.start, end, tuple(line for line in body if not _is_noise(line, running)))
    return None


def _section_body(lines: list[_Line], heading_index: int, running: set[str]) -> list[_Line]:
    """The lines after a changelog heading up to the next heading that starts another section."""
    level = lines[heading_index].level
    marked_document = any(line.level is not None for line in lines)
    body: list[_Line] = []
    previous = ""
    for line in lines[heading_index + 1:]:
        if _is_noise(line, running):
            body.append(line)
            continue
        if _ends_changelog(line, level, marked_document, previous):
            break
        body.append(line)
        previous = line.text
    while body and _is_noise(body[-1], running):
        body.pop()
    return body if any(not _is_noise(line, running) for line in body) else []


def _ends_changelog(line: _Line, changelog_level: int | None, marked_document: bool, previous: str) -> bool:
    """Whether a line is the heading of another section rather than an entry heading, label or entry.

    With heading marks (HTML) only a marked heading as high as the changelog's ends it; without (PDF), a
    numbered or back-matter heading does, and so does a short capitalised line after a finished sentence.
    """
    if _is_entry_heading(line.text) or _is_label(line.text):
        return False
    if line.level is not None:
        return line.level <= (changelog_level or 6)
    if marked_document or _word_count(line.text) > _STRUCTURAL_MAX_WORDS or _TERMINAL.search(line.text):
        return False
    if _STRUCTURAL_HEADING.fullmatch(line.text) and _is_title_case(line.text):
        return True
    return (not _BULLET.match(line.text) and _word_count(line.text) <= _UNMARKED_HEADING_MAX_WORDS
            and line.text[0].isupper() and not line.text.endswith(",")
            and (bool(_TERMINAL.search(previous)) or _is_title_case(line.text)))


def changelog_entries(text: str) -> list[str]:
    """Entries of the document's own changelog / version-history section, each with its dated heading."""
    section = _changelog_section(text)
    if section is None:
        return []
    return _split_entries([(line.text, line.level is not None) for line in section.body])


def new_changelog_entries(old_text: str, new_text: str) -> list[str]:
    """Entries in new_text's changelog section that old_text's does not have (normalised comparison).

    An entry is old when its text, without its headings, lies within the old entries run together (so
    a paragraph the old extraction split in two, or a reworded heading, is not new), or when it is nearly
    the same as one old entry (a fixed typo, an added link).
    """
    old_entries = changelog_entries(old_text)
    old_keys = [_entry_key(entry) for entry in old_entries]
    old_run = "".join(_entry_key(_entry_body(entry)) for entry in old_entries)
    fresh = []
    for entry in changelog_entries(new_text):
        key, body_key = _entry_key(entry), _entry_key(_entry_body(entry))
        if body_key in old_run or key in old_keys:
            continue
        if any(_nearly_same(key, old) for old in old_keys):
            continue
        fresh.append(entry)
    return fresh


def _nearly_same(first: str, second: str) -> bool:
    """Whether two entry keys are at least SAME_ENTRY_SIMILARITY alike (cheap upper bounds first)."""
    matcher = SequenceMatcher(None, first, second, autojunk=False)
    return (matcher.real_quick_ratio() >= SAME_ENTRY_SIMILARITY and matcher.quick_ratio() >= SAME_ENTRY_SIMILARITY
            and matcher.ratio() >= SAME_ENTRY_SIMILARITY)
