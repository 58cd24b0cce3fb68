"""Pick the current version of a document from the links on its index page (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from watcher.normalize.html import Link

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_ISO_DATE = re.compile(r"(?<!\d)(20\d\d)[-_./]?(0[1-9]|1[0-2])(?:[-_./]?(0[1-9]|[12]\d|3[01]))?(?!\d)")
_MONTH_YEAR = re.compile(
    r"(?:(\d{1,2})\s+)?\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:(\d{1,2}),?\s+)?(20\d\d)\b",
    re.IGNORECASE)
_VERSION_TEXT = re.compile(r"(?:\bv|\bversion\s*|\bver\.?\s*)(\d+(?:\.\d+)*)\b", re.IGNORECASE)
_VERSION_URL = re.compile(r"(?:^|[/_-])v(\d+(?:[._-]\d+)*)(?=[/_.-]|$)", re.IGNORECASE)


def date_key(text: str) -> tuple[int, int, int] | None:
    """The latest date written in a link's text or URL, as (year, month, day)."""
    found = [(int(y), int(m), int(d or 0)) for y, m, d in _ISO_DATE.findall(text)]
    for day, month, day2, year in _MONTH_YEAR.findall(text):
        found.append((int(year), _MONTHS[month[:3].lower()], int(day or day2 or 0)))
    return max(found) if found else None


def version_key(link: Link) -> tuple[int, ...] | None:
    """The version number in a link's text ('v2.1', 'Version 3') or URL path ('/v2/', '-v3.pdf')."""
    match = _VERSION_TEXT.search(link.text) or _VERSION_URL.search(link.url.rsplit("?", 1)[0])
    if not match:
        return None
    return tuple(int(part) for part in re.split(r"[._-]", match.group(1)) if part)


def newest_link(links: Sequence[Link], pattern: re.Pattern[str]) -> Link | None:
    """The newest link whose URL matches: by date, else by version number, else the first on the page."""
    matching = [link for link in links if pattern.search(link.url)]
    if not matching:
        return None
    dated = [(date_key(f"{link.text} {link.url}"), -i, link) for i, link in enumerate(matching)]
    if any(key for key, _, _ in dated):
        return max((item for item in dated if item[0]), key=lambda item: (item[0], item[1]))[2]
    versioned = [(version_key(link), -i, link) for i, link in enumerate(matching)]
    if any(key for key, _, _ in versioned):
        return max((item for item in versioned if item[0]), key=lambda item: (item[0], item[1]))[2]
    return matching[0]
