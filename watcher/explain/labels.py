"""The version label and effective date a document states in its first lines, and whether they changed."""

from __future__ import annotations

import re

from watcher.explain.changelog import _changelog_section
from watcher.explain.dates import _VERSION_WORD, _canonical_label, _date_spans, _version_in
from watcher.explain.headings import _is_changelog_heading
from watcher.explain.lines import _TOC_LINE, _lines

HEAD_LINES = 60            # the version label and effective date are looked for in this many first lines

_DATE_KEYWORD = re.compile(r"\b(?:effective|updated|revised|published|released|issued|dated|applicable|"
                           r"valid|in force|as of|date)\b", re.IGNORECASE)
_KEYWORD_TO_DATE_CHARS = 30


def _head(text: str) -> list[str]:
    """The first lines of a document, where title, version and date live; stops at a changelog heading."""
    head: list[str] = []
    for line in _lines(text)[:HEAD_LINES]:
        if _is_changelog_heading(line.text):
            break
        if not _TOC_LINE.search(line.text):
            head.append(line.text)
    return head


def version_label(text: str) -> str | None:
    """The document's version label, from its first lines or else from a marked title line."""
    for head_line in _head(text):
        if label := _version_in(head_line):
            return label
    section = _changelog_section(text)
    for line in _lines(text):
        inside_changelog = section is not None and section.start <= line.start < section.end
        if line.level is not None and not inside_changelog and (match := _VERSION_WORD.search(line.text)):
            return f"Version {match.group(1)}"
    return None


def effective_date(text: str) -> str | None:
    """The document's effective/updated/published date from its first lines, as YYYY-MM-DD when parseable."""
    head = _head(text)
    for line in head:
        for keyword in _DATE_KEYWORD.finditer(line):
            for start, _, iso in _date_spans(line):
                if keyword.end() <= start <= keyword.end() + _KEYWORD_TO_DATE_CHARS:
                    return iso
    for line in head:
        spans = _date_spans(line)
        if len(spans) == 1 and not re.search(r"\w", line[:spans[0][0]] + line[spans[0][1]:]):
            return spans[0][2]
    return None


def label_changed(old_text: str, new_text: str) -> bool:
    """Whether the new text carries a version label or effective date that differs from the old one's.

    A label or date that disappears is not a bump: only one the new text states counts.
    """
    old_label, new_label = _canonical_label(version_label(old_text)), _canonical_label(version_label(new_text))
    old_date, new_date = effective_date(old_text), effective_date(new_text)
    return (new_label is not None and new_label != old_label) or (new_date is not None and new_date != old_date)


def same_label_reupload(old_text: str, new_text: str) -> bool:
    """Whether the text changed under an unchanged version label and effective date.

    The new text must state a label or a date: a document with neither has no label to be re-uploaded
    under, and calling every edit of an unlabelled page a re-upload would be noise.
    """
    if old_text == new_text or label_changed(old_text, new_text):
        return False
    return version_label(new_text) is not None or effective_date(new_text) is not None
