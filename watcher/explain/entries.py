"""Entries: cutting changelog sections and account pages into entries, and the keys entries compare on."""

from __future__ import annotations

import re
from collections.abc import Iterable

from watcher.explain.dates import _date_spans, _is_dated_or_versioned
from watcher.explain.headings import (
    _BULLET,
    _UNMARKED_HEADING_MAX_WORDS,
    _is_entry_heading,
    _is_label,
    _starts_entry,
)
from watcher.explain.lines import _MARKS, _PAGE_NUMBER, _TERMINAL, _word_count


def split_account_entries(added_text: str) -> list[str]:
    """Cut the added text of a version-history page or announcement into entries (paragraphs, bullets)."""
    lines = []
    for raw in added_text.split("\n"):
        marks = _MARKS.match(raw.strip())
        text = raw.strip()[marks.end():].strip() if marks else raw.strip()
        if not _PAGE_NUMBER.fullmatch(text):
            lines.append((text, marks is not None))
    return _split_entries(lines)


_ENTRY_SEPARATOR = ": "

_BULLET_ONLY = re.compile(r"[-*•●○▪◦■□➢►]|\(?\d{1,2}[.)]|\([a-z]\)|\([ivx]{1,5}\)")


class _EntrySplitter:
    """Lines to entries: dated headings give context, bullets and paragraphs start items, wraps continue them."""

    def __init__(self) -> None:
        self.entries: list[str] = []
        self.dated: str | None = None     # the current dated/versioned heading
        self.topic: str | None = None     # the current undated heading below it
        self.dated_used = self.topic_used = False
        self.item: list[str] = []

    def add(self, text: str, marked: bool) -> None:
        """Take one line (marked: it had heading marks); an empty line ends the current item."""
        if not text:
            self.end_item()
            return
        if _BULLET_ONLY.fullmatch(text):
            self.end_item()
            self.item = [""]  # an empty item: the next line is its text
            return
        bullet = _BULLET.match(text)
        body = text[bullet.end():] if bullet else text
        starts_item = bullet is not None or self.item == [""]
        if self.item == [""]:
            self.item = []
        if self._next_dated_entry(body, marked, starts_item):
            self.close_dated()  # "Version 1.0 (date): first publication." was an entry of its own
            self.item = [body]
            return
        if self._is_heading(body, marked, starts_item):
            self.end_item()
            self.set_heading(body)
        elif starts_item or marked or not self.item or not self._continues(body):
            self.end_item()
            self.item = [body]
        else:
            self.item.append(body)

    def _next_dated_entry(self, body: str, marked: bool, starts_item: bool) -> bool:
        """A one-line dated entry right after a dated heading that has no items yet."""
        return (not marked and not starts_item and not self.item and self.dated is not None
                and not self.dated_used and _starts_entry(body) and not _is_entry_heading(body))

    def _is_heading(self, body: str, marked: bool, is_bullet: bool) -> bool:
        """Whether a line heads the entries below it rather than being one."""
        dated = _is_entry_heading(body)
        if is_bullet:
            return dated
        if marked or dated or _is_label(body):
            return True
        if self.item and self._continues(body):
            return False
        return (_word_count(body) <= _UNMARKED_HEADING_MAX_WORDS and not _TERMINAL.search(body)
                and not body.endswith(",") and (body[0].isupper() or body[0].isdigit()))

    def _continues(self, body: str) -> bool:
        """Whether a line continues the current item: it ended mid-sentence, or the line starts lower-case."""
        previous = self.item[-1] if self.item else ""
        return bool(previous) and (not _TERMINAL.search(previous) or body[0].islower())

    def set_heading(self, heading: str) -> None:
        """Start a new dated heading (resetting the topic) or a new topic under the current one."""
        self.close_topic()
        if _is_entry_heading(heading):
            self.close_dated()
            self.dated, self.dated_used = heading, False
        else:
            self.topic, self.topic_used = heading, False

    def end_item(self) -> None:
        """Emit the current item, prefixed with its headings."""
        text = " ".join(part for part in self.item if part).strip()
        self.item = []
        if not text:
            return
        prefix = " - ".join(_as_prefix(part) for part in (self.dated, self.topic) if part)
        self.entries.append(f"{prefix}{_ENTRY_SEPARATOR}{text}" if prefix else text)
        self.dated_used = self.topic_used = True

    def close_topic(self) -> None:
        """A topic heading with no items under it is an entry of its own unless it is only a label."""
        if self.topic and not self.topic_used and not _is_label(self.topic):
            prefix = f"{_as_prefix(self.dated)}{_ENTRY_SEPARATOR}" if self.dated else ""
            self.entries.append(prefix + self.topic)
            self.dated_used = True
        self.topic = None

    def close_dated(self) -> None:
        """A dated heading with no items under it ("Version 1.0 (17 May 2024)") is an entry of its own."""
        if self.dated and not self.dated_used:
            self.entries.append(self.dated)
        self.dated = None

    def finish(self) -> list[str]:
        """Emit what is left and return all entries."""
        self.end_item()
        self.close_topic()
        self.close_dated()
        return [" ".join(entry.split()) for entry in self.entries]


def _as_prefix(heading: str) -> str:
    """A heading as the prefix of the entries below it: without its closing colon or full stop."""
    return heading.rstrip(":. ").strip()


def _split_entries(lines: Iterable[tuple[str, bool]]) -> list[str]:
    """Entries of a run of (line text, marked heading) pairs."""
    splitter = _EntrySplitter()
    for text, marked in lines:
        splitter.add(text.strip(), marked)
    return splitter.finish()


def _entry_key(entry: str) -> str:
    """An entry reduced for comparison: dates as ISO, lower-case letters and digits only, no spaces."""
    for start, end, iso in reversed(_date_spans(entry)):
        entry = entry[:start] + iso + entry[end:]
    return "".join(re.findall(r"\w+", entry.lower()))


def _entry_body(entry: str) -> str:
    """An entry without the headings prefixed to it."""
    head, separator, rest = entry.partition(_ENTRY_SEPARATOR)
    return rest if separator and _is_dated_or_versioned(head) else entry
