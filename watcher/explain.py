"""Whether a company publicly explained each material change (Outcome 3 of the Seoul commitments).

Pure: no I/O, no clock (`now` is passed in). For one change (old text -> new text and its hunks):

    accounts = entries new in the document's own changelog section (its source, no seen_at)
             + entries seen on its `explained_by` sources with seen_at in [detected_at - grace, + grace]
    per material hunk (hunks inside the changelog section, or tagged X-changelog, are the account itself
    and get "n/a" like editorial hunks):
        explained     an account entry names it (content overlap of rare terms, see `_Matcher`)
        partial       an entry only points at it: a weaker overlap, or its section or commitment class
        version_only  nothing names it, but the version label or effective date was bumped
        pending       nothing names it yet and the grace window is still open
        silent        nothing names it and the window has lapsed
    change: "n/a" without material hunks; "explained" when every one is; "pending" while the window is
        open and some are not (a later call with a later `now` and more entries settles it); then
        "partial" if any is explained or pointed at; "version_only" if the label/date changed; "silent".

Evidence lists every new in-document entry (even one that names nothing, e.g. "minor edits", so a reader
sees the account existed) and every in-window external entry that names or points at a hunk or mentions
the new version; `reason_given` says whether an entry that names or points at a hunk gives a reason.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

from watcher.diff import EQUAL, Hunk

__all__ = [
    "DEFAULT_GRACE", "AccountEntry", "Explanation", "HunkExplanation", "changelog_entries", "effective_date",
    "explain_change", "label_changed", "new_changelog_entries", "same_label_reupload", "split_account_entries",
    "version_label",
]

EXPLAINED, PARTIAL, VERSION_ONLY, PENDING, SILENT, NOT_APPLICABLE = (
    "explained", "partial", "version_only", "pending", "silent", "n/a")
DEFAULT_GRACE = timedelta(days=30)

HEAD_LINES = 60            # the version label and effective date are looked for in this many first lines
SAME_ENTRY_SIMILARITY = 0.9  # an entry this similar to an old one is the old one (reflowed, typo fixed)

# --- public values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountEntry:
    """One piece of public evidence: a changelog entry, a version-history item, an announcement paragraph."""

    source: str
    url: str | None
    text: str
    seen_at: str | None = None


@dataclass(frozen=True)
class HunkExplanation:
    """The verdict for one hunk and the evidence entries (indices into Explanation.evidence) behind it."""

    status: str
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """The verdict for a whole change, its evidence, and one verdict per hunk."""

    status: str
    reason_given: bool
    evidence: tuple[AccountEntry, ...]
    hunk_evidence: dict[int, tuple[int, ...]]
    per_hunk: tuple[HunkExplanation, ...]

    def to_json(self) -> dict[str, Any]:
        """The public JSON contract: status, reason_given, evidence with the hunks each entry names."""
        return {
            "status": self.status,
            "reason_given": self.reason_given,
            "evidence": [{"source": entry.source, "url": entry.url, "text": entry.text,
                          "hunks": list(self.hunk_evidence.get(i, ()))}
                         for i, entry in enumerate(self.evidence)],
        }


# --- lines and headings --------------------------------------------------------------------------

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


def _running_lines(lines: list[_Line]) -> set[str]:
    """Keys of lines repeated three times or more: running headers and footers, never section headings."""
    counts = Counter(_running_key(line.text) for line in lines
                     if _word_count(line.text) <= 12 and not _is_entry_heading(line.text))
    return {key for key, count in counts.items() if count >= 3}


def _is_noise(line: _Line, running: set[str]) -> bool:
    """Whether a line is a page number, a running header/footer or a table-of-contents line."""
    return (bool(_PAGE_NUMBER.fullmatch(line.text)) or _running_key(line.text) in running
            or bool(_TOC_LINE.search(line.text)))


# --- dates and version labels --------------------------------------------------------------------

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
_DATE_KEYWORD = re.compile(r"\b(?:effective|updated|revised|published|released|issued|dated|applicable|"
                           r"valid|in force|as of|date)\b", re.IGNORECASE)
_KEYWORD_TO_DATE_CHARS = 30

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


# --- changelog sections and their entries --------------------------------------------------------

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
# Headings that end a changelog in text without heading marks (PDF): numbered sections, appendices,
# a lone appendix letter, and the usual back matter.
_STRUCTURAL_HEADING = re.compile(
    r"(?:appendix|annex|schedule|part)\s+[A-Z0-9]{1,4}\b.*|[A-Z]|(?:\d+(?:\.\d+)*\.?|[A-Z]\.)\s+[A-Z][^.]*|"
    r"(?i:glossary|references|bibliography|acknowledge?ments|definitions|endnotes|footnotes|notes|appendices|"
    r"contact(?:\s+us)?|about(?:\s+us)?|index)\s*:?")
_STRUCTURAL_MAX_WORDS = 10
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


def _is_dated_or_versioned(text: str) -> bool:
    """Whether text carries a date or a version label."""
    return bool(_date_spans(text)) or _version_in(text) is not None


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


def _is_title_case(text: str) -> bool:
    """Whether most longer words of a line are capitalised, as in "Evaluations for Autonomous Capabilities"."""
    words = [word for word in re.findall(r"[A-Za-z][\w-]*", text) if len(word) >= 4]
    capitalised: int = sum(word[0].isupper() for word in words)
    return capitalised >= max(1.0, 0.6 * len(words))


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
_BULLET = re.compile(r"(?:[-*•●○▪◦■□➢►]|\(?\d{1,2}[.)]|\(?[a-z][.)]|\([ivx]{1,5}\)|[ivx]{1,5}[.)])\s+")
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


# --- terms: what an entry and a hunk talk about --------------------------------------------------

_STOPWORDS = frozenset("""a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done down during each either etc
    few for from further had has have having here how however i if in into is it its itself just may me
    might more most must my no nor not now of off on once only or other our ours out over own per same
    shall she should so some such than that the their them then there these they this those through thus
    to too under until up upon us very via was we were what when where whether which while who whom why
    will with within without would you your e.g i.e one two three four five six seven eight nine ten""".split())
_SUFFIXES = (("ational", "at"), ("ations", "at"), ("ation", "at"), ("tions", "t"), ("tion", "t"),
             ("ments", ""), ("ment", ""), ("ings", ""), ("ing", ""), ("ies", "y"), ("ied", "y"), ("ers", ""),
             ("er", ""), ("ed", ""), ("es", ""), ("ly", ""), ("s", ""))
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9&+%]|[-/.'’](?=[A-Za-z0-9]))*[+%]?")
_PURE_YEAR = re.compile(r"(?:19|20)\d{2}")
_ACRONYM_MAX_LETTERS = 6


def _stem_word(word: str) -> str:
    """A light stem: "excludes", "excluded", "exclude" -> "exclud"; "capabilities" -> "capability"."""
    stem = word.lower()
    if stem.endswith(("'s", "’s")):
        stem = stem[:-2]
    for suffix, replacement in _SUFFIXES:
        if suffix == "s" and stem.endswith(("ss", "us", "is")):
            continue
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
            stem = stem[:len(stem) - len(suffix)] + replacement
            break
    return stem[:-1] if len(stem) > 4 and stem.endswith("e") else stem


# Words of the act of revising, not of what was revised: "clarified language throughout", "minor edits",
# "comprehensive rewrite" share only these and must name nothing.
_GENERIC_STEMS = frozenset(_stem_word(word) for word in """update change clarify clarification language
    throughout minor major edit editorial revision revise rewrite rewritten comprehensive improve improvement
    readability format formatting typo typographical wording various section sections document policy
    framework version make made add added addition remove removal removed introduce introduced replace
    replaced previous previously new also include including detail details describe description reflect
    approach overall general specific further additional number following key point points style clarity
    consistency consistent correct correction fix fixed link links reference references substantive
    substantial significant note noted better more less other initial release longer""".split())


def _token_terms(token: str) -> list[tuple[str, bool]]:
    """The terms of one token as (term, distinctive): numbers, codes and acronyms are distinctive."""
    if any(char.isdigit() for char in token):
        if _PURE_YEAR.fullmatch(token) or (token.isdigit() and len(token) < 2):
            return []
        parts = [part for part in re.split(r"[-/.]", token) if part and not any(c.isdigit() for c in part)]
        return [(token.lower(), True)] + [term for part in parts for term in _token_terms(part)]
    parts = [part for part in re.split(r"[-/.'’]", token) if part]
    if len(parts) > 1:
        return [term for part in parts for term in _token_terms(part)]
    letters = token.rstrip("+%")
    singular = letters[:-1] if letters.endswith("s") and letters[:-1].isupper() else letters
    if len(singular) >= 2 and singular.isupper() and len(singular) <= _ACRONYM_MAX_LETTERS:
        return [(singular.lower(), True)]
    word = token.lower()
    if word in _STOPWORDS or len(word) < 3:
        return []
    stem = _stem_word(word)
    return [] if stem in _GENERIC_STEMS else [(stem, False)]


def _without_dates_and_versions(text: str) -> str:
    """Text with its dates and version labels blanked, so "May 14, 2025 (RSP v2.2)" names nothing."""
    for start, end, _ in reversed(_date_spans(text)):
        text = text[:start] + " " + text[end:]
    text = _VERSION_WORD.sub(" ", text)
    return _VERSION_V.sub(" ", text)


def _ordered_terms(text: str) -> list[tuple[str, bool]]:
    """The terms of text in order.

    Capitalised defined terms ("Capability Thresholds") are not marked distinctive: a framework repeats
    its own defined terms everywhere, and on the labelled corpus boosting them doubled false "explained".
    """
    clean = _without_dates_and_versions(text)
    return [term for token in _TOKEN.findall(clean) for term in _token_terms(token)]


@dataclass(frozen=True)
class _Profile:
    """What a passage talks about: its terms, and which of them are distinctive (numbers, codes, acronyms)."""

    terms: frozenset[str]
    distinctive: frozenset[str]


def _profile(*texts: str) -> _Profile:
    """The profile of one or more passages."""
    found = [term for text in texts for term in _ordered_terms(text)]
    return _Profile(frozenset(term for term, _ in found), frozenset(term for term, flag in found if flag))


class _Rarity:
    """How rare each term is among the document's lines: an inverse document frequency in [0, 1]."""

    def __init__(self, lines: Iterable[str]) -> None:
        unique = set(lines)
        self._count = len(unique)
        self._frequency: Counter[str] = Counter()
        for line in unique:
            self._frequency.update(_profile(line).terms)

    def __call__(self, term: str) -> float:
        """1 for a term on no line (or one), near 0 for a term on every line."""
        if self._count < 2:
            return 1.0
        frequency = max(self._frequency[term], 1)
        return max(0.0, min(1.0, math.log((self._count + 1) / frequency) / math.log(self._count + 1)))


# --- naming: does an entry identify a hunk? -------------------------------------------------------

# The rule. Terms are stemmed words without stopwords, generic revision words ("clarified", "language",
# "throughout", "minor", "edits", "rewrite"), dates and version labels. A term weighs its rarity among
# the document's lines (1 on one line, near 0 on every line), times DISTINCTIVE_WEIGHT for numbers,
# codes and acronyms ("AI R&D-4", "CBRN", "4x"); terms rarer than RARE_TERM count, the rest are the
# document's everyday vocabulary. With S the weight an entry shares with a hunk's old and new text, E
# the entry's own weight and H the hunk's:
#     score = S * min(1, COVERAGE_FACTOR * S / sqrt(E * H))
# so a long announcement paragraph that touches a long hunk in passing scores less than a changelog
# line about it. The entry NAMES the hunk (explained) when score >= NAMES_SCORE, at least NAMES_MIN_TERMS
# rare terms are shared, and one of them is among the words the hunk changed (if it changed any content
# word). It POINTS AT the hunk (partial, class level) when score >= POINTS_SCORE with a changed word
# shared, or when it shares a term rarer than AREA_RARITY with the hunk's section heading or the
# commitment class of its tags and either scores AREA_POINTS_SCORE or talks of nothing else ("revised
# the external review section"). Calibrated on the hand-coded corpus pairs (260 material changes, labels ANN /
# ANN-P / SIL): NAMES_SCORE 1.75 calls about 7 % of silent changes explained and half of the announced.
RARE_TERM = 0.4
DISTINCTIVE_WEIGHT = 1.5
COVERAGE_FACTOR = 2.0
NAMES_SCORE = 1.75
NAMES_MIN_TERMS = 2
POINTS_SCORE = 1.0
AREA_RARITY = 0.5
AREA_POINTS_SCORE = 0.5

# Class words of the commitment tags (DOMAIN 6.2, Seoul I-VIII): "updated our escalation procedures"
# points at a hunk tagged IV. Matched like section headings (only rare terms count).
_CLASS_WORDS = {
    "I": "evaluations assessments elicitation testing",
    "II": "thresholds capability levels",
    "III": "safeguards mitigations security",
    "IV": "pause halt escalation deployment decisions",
    "V": "update cadence review of the framework",
    "VI": "governance oversight accountability",
    "VII": "transparency disclosure publication",
    "VIII": "external third-party experts",
}


@dataclass(frozen=True)
class _HunkProfile:
    """A material hunk as the matcher sees it."""

    text: _Profile
    changed: frozenset[str]
    area: _Profile


def _hunk_profile(hunk: Hunk, old_text: str, new_text: str, section: str | None,
                  tags: Sequence[str]) -> _HunkProfile:
    """The terms of a hunk's text, of the words it changed, and of its area (section heading, tag classes)."""
    text = _profile(old_text, new_text)
    changed = _profile(" ".join(part for op, part in hunk.segments if op != EQUAL)).terms & text.terms
    return _HunkProfile(text, changed, _profile(section or "", *(_class_words(tag) for tag in tags)))


def _class_words(tag: str) -> str:
    """The words of a commitment tag's class ("II-thresholds" -> threshold words); none for X (editorial)."""
    head = tag.split("-")[0].strip().upper()
    if head == "X":
        return ""
    return _CLASS_WORDS.get(head, re.sub(r"[-_]", " ", tag))


class _Matcher:
    """Scores account entries against hunks with one document's rarities."""

    def __init__(self, rarity: _Rarity) -> None:
        self.rarity = rarity

    def weight(self, term: str, *profiles: _Profile) -> float:
        """How much one term says: its rarity, more for a distinctive term; 0 for everyday vocabulary."""
        rarity = self.rarity(term)
        if rarity < RARE_TERM:
            return 0.0
        return rarity * (DISTINCTIVE_WEIGHT if any(term in p.distinctive for p in profiles) else 1.0)

    def score(self, entry: _Profile, hunk: _HunkProfile) -> tuple[float, frozenset[str]]:
        """The overlap score of an entry with a hunk's text, and the rare terms they share."""
        shared = frozenset(t for t in entry.terms & hunk.text.terms if self.weight(t, entry, hunk.text) > 0)
        shared_weight = sum(self.weight(term, entry, hunk.text) for term in shared)
        if not shared_weight:
            return 0.0, shared
        entry_weight = sum(self.weight(term, entry) for term in entry.terms)
        hunk_weight = sum(self.weight(term, hunk.text) for term in hunk.text.terms)
        coverage = COVERAGE_FACTOR * shared_weight / math.sqrt(entry_weight * hunk_weight)
        return shared_weight * min(1.0, coverage), shared

    def names(self, entry: _Profile, hunk: _HunkProfile) -> bool:
        """Whether an entry identifies this very change (codebook ANN)."""
        score, shared = self.score(entry, hunk)
        touches_change = not hunk.changed or bool(shared & hunk.changed)
        return score >= NAMES_SCORE and len(shared) >= NAMES_MIN_TERMS and touches_change

    def points_at(self, entry: _Profile, hunk: _HunkProfile) -> bool:
        """Whether an entry names the area or class of this change without identifying it (codebook ANN-P)."""
        score, shared = self.score(entry, hunk)
        if score >= POINTS_SCORE and (not hunk.changed or shared & hunk.changed):
            return True
        if not any(self.rarity(term) >= AREA_RARITY for term in entry.terms & hunk.area.terms):
            return False
        about_area_only = all(term in hunk.area.terms or term in hunk.text.terms
                              for term in entry.terms if self.weight(term, entry) > 0)
        return about_area_only or score >= AREA_POINTS_SCORE


_REASON = re.compile(
    r"\b(?:because|due to|owing to|in order to|so that|as a result of|we (?:now )?believe|rationale|reasons?\b|"
    r"given (?:that|the|our|its|how)|motivated by|in light of|in response to|we (?:have )?found|this is to|"
    r"to (?:better )?(?:reflect|align|track|account for|allow|ensure|enable|protect|avoid|reduce|address|prevent|focus)|reflects|"
    r"we (?:have )?(?:decided|learned|concluded)|do(?:es)? not warrant)",
    re.IGNORECASE)


def _gives_reason(text: str) -> bool:
    """Whether an account entry says why ("because", "to reflect", "in order to", "we believe", ...)."""
    return bool(_REASON.search(text))


def _mentions_version(text: str, label: str | None, iso_date: str | None) -> bool:
    """Whether an entry mentions the new version's label or its effective date."""
    if label is not None:
        labels = {_canonical_label(found) for found in _labels_in(text)}
        if _canonical_label(label) in labels:
            return True
    return iso_date is not None and any(found == iso_date for _, _, found in _date_spans(text))


def _labels_in(text: str) -> list[str]:
    """Every version label mentioned in text."""
    found = [f"Version {m.group(1)}" for m in _VERSION_WORD.finditer(text)]
    found += [f"v{m.group(1)}" for m in _VERSION_V.finditer(text)]
    return found + [m.group(1) for m in _VERSION_YEAR.finditer(text)]


# --- the verdict ---------------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    """An aware datetime; a naive one is taken to be UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time as an aware datetime, None if missing or unreadable."""
    if not value:
        return None
    try:
        return _as_utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None


def _in_window(entry: AccountEntry, detected_at: datetime, grace: timedelta) -> bool:
    """Whether an external entry was first seen within grace of the change; one without a time never is."""
    seen = _parse_time(entry.seen_at)
    return seen is not None and detected_at - grace <= seen <= detected_at + grace


def _outside_changelog(hunk: Hunk, tags: Sequence[str], old_section: _Section | None,
                       new_section: _Section | None) -> tuple[str, str] | None:
    """The hunk's old and new text outside the changelog section; None if it is all changelog (the
    account itself, not a change it explains) or tagged X-changelog."""
    if any(tag.lower().startswith("x-changelog") for tag in tags):
        return None
    old_text = _without_span(hunk.old_text, hunk.old_start, old_section)
    new_text = _without_span(hunk.new_text, hunk.new_start, new_section)
    return (old_text, new_text) if old_text.strip() or new_text.strip() else None


def _without_span(text: str, start: int, section: _Section | None) -> str:
    """A passage at offset start with the part lying inside section removed."""
    if section is None:
        return text
    low, high = max(start, section.start), min(start + len(text), section.end)
    return text if low >= high else text[:low - start] + "\n" + text[high - start:]


def _body_lines(text: str) -> list[str]:
    """The lines of a text outside its changelog section."""
    section = _changelog_section(text)
    return [line.text for line in _lines(text)
            if section is None or not section.start <= line.start < section.end]


def _only_label_or_date(hunk: Hunk) -> bool:
    """The hunk changes nothing but a version label or a date: it is evidence (b), not a change to explain."""
    def bare(text: str) -> str:
        return "".join(re.findall(r"\w+", _without_dates_and_versions(text).lower()))

    return bool(hunk.old_text or hunk.new_text) and bare(hunk.old_text) == bare(hunk.new_text)


def _summary(statuses: list[str], open_window: bool, bumped: bool) -> str:
    """The change-level status from the statuses of its material hunks."""
    if not statuses:
        return NOT_APPLICABLE
    if all(status == EXPLAINED for status in statuses):
        return EXPLAINED
    if open_window:
        return PENDING
    if any(status in (EXPLAINED, PARTIAL) for status in statuses):
        return PARTIAL
    return VERSION_ONLY if bumped else SILENT


def _match_entries(own: list[AccountEntry], windowed: list[AccountEntry], profiles: dict[int, _HunkProfile],
                   matcher: _Matcher, new_text: str
                   ) -> tuple[list[AccountEntry], dict[int, list[int]], dict[int, list[int]]]:
    """The evidence kept, and per hunk the evidence indices that name it and that point at it.

    Every new in-document entry is kept; an external entry only if it names or points at a hunk or
    mentions the new version (a news index also lists posts about other things).
    """
    label, iso_date = version_label(new_text), effective_date(new_text)
    names: dict[int, list[int]] = {i: [] for i in profiles}
    points: dict[int, list[int]] = {i: [] for i in profiles}
    evidence: list[AccountEntry] = []
    for entry, is_own in [(entry, True) for entry in own] + [(entry, False) for entry in windowed]:
        entry_profile = _profile(entry.text)
        named = [i for i, hunk in profiles.items() if matcher.names(entry_profile, hunk)]
        pointed = [i for i, hunk in profiles.items() if i not in named and matcher.points_at(entry_profile, hunk)]
        if not (is_own or named or pointed or _mentions_version(entry.text, label, iso_date)):
            continue
        for i in named:
            names[i].append(len(evidence))
        for i in pointed:
            points[i].append(len(evidence))
        evidence.append(entry)
    return evidence, names, points


def explain_change(hunks: Sequence[Hunk], material: Sequence[bool], tags: Sequence[tuple[str, ...]],
                   sections: Sequence[str | None], old_text: str, new_text: str, *, source_id: str,
                   url: str | None, external: Sequence[AccountEntry], detected_at: datetime, now: datetime,
                   grace: timedelta = DEFAULT_GRACE) -> Explanation:
    """Say, per material hunk and for the change, whether public evidence explains it (module docstring)."""
    if not len(hunks) == len(material) == len(tags) == len(sections):
        raise ValueError("hunks, material, tags and sections must have the same length")
    detected_at, now = _as_utc(detected_at), _as_utc(now)
    old_section, new_section = _changelog_section(old_text), _changelog_section(new_text)
    outside = {i: _outside_changelog(hunks[i], tags[i], old_section, new_section)
               for i in range(len(hunks)) if material[i] and not _only_label_or_date(hunks[i])}
    profiles = {i: _hunk_profile(hunks[i], *texts, sections[i], tags[i])
                for i, texts in outside.items() if texts is not None}
    counted = sorted(profiles)
    matcher = _Matcher(_Rarity(_body_lines(old_text) + _body_lines(new_text)))

    own = [AccountEntry(source_id, url, text, None) for text in new_changelog_entries(old_text, new_text)]
    windowed = [entry for entry in external if _in_window(entry, detected_at, grace)]
    evidence, names, points = _match_entries(own, windowed, profiles, matcher, new_text)

    bumped = label_changed(old_text, new_text)
    open_window = now < detected_at + grace
    per_hunk = []
    for i in range(len(hunks)):
        if i not in profiles:
            per_hunk.append(HunkExplanation(NOT_APPLICABLE))
        elif names[i]:
            per_hunk.append(HunkExplanation(EXPLAINED, tuple(names[i])))
        elif points[i]:
            per_hunk.append(HunkExplanation(PARTIAL, tuple(points[i])))
        else:
            per_hunk.append(HunkExplanation(VERSION_ONLY if bumped else PENDING if open_window else SILENT))

    hunk_evidence: dict[int, tuple[int, ...]] = {}
    for i, verdict in enumerate(per_hunk):
        for index in verdict.evidence:
            hunk_evidence[index] = (*hunk_evidence.get(index, ()), i)
    for index in range(len(evidence)):
        hunk_evidence.setdefault(index, ())
    reason_given = any(_gives_reason(evidence[index].text) for index, named in hunk_evidence.items() if named)
    status = _summary([per_hunk[i].status for i in counted], open_window, bumped)
    return Explanation(status, reason_given, tuple(evidence), hunk_evidence, tuple(per_hunk))
