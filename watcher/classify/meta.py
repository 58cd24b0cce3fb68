"""Meta changes (tag X): a hunk that changes only a version label, a date, a link or the document title."""

from __future__ import annotations

import re

from watcher.classify.canon import _canon_tokens, _words
from watcher.classify.document import _MODAL_WORD
from watcher.diff import Hunk

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})\b", re.IGNORECASE)
_VERSION_LABEL = re.compile(r"\b(?:version|ver\.?|rev(?:ision)?\.?|v)\s*\d+(?:\.\d+)*[a-z]?\b", re.IGNORECASE)
_META_CUE = re.compile(r"\b(?:version|v\d|updated|effective|published|revised|released|dated?|as of|posted|"
                       r"issued|draft|change ?log|modified)\b", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"\b\d+(?:\.\d+)*\b")


def _meta_change(hunk: Hunk) -> tuple[str, str] | None:
    """(reason, X sub-tag) when the hunk changes only a version label, a date, a link or the title."""
    old, new = hunk.old_text, hunk.new_text
    if _masked(old, _URL) == _masked(new, _URL) and _URL.search(old + new):
        return "link changed (X)", "X-link"
    meta_line = bool(_META_CUE.search(old + new)) and max(len(old.split()), len(new.split())) <= 12
    masks = (_URL, _DATE, _VERSION_LABEL, *((_BARE_NUMBER,) if meta_line else ()))
    old_masked, new_masked = _masked(old, *masks), _masked(new, *masks)
    standalone = len(_words(old_masked)) <= 3 and len(_words(new_masked)) <= 3
    if old_masked == new_masked and (meta_line or standalone) and (old.strip() and new.strip()):
        return "version label or date changed (X)", "X-version"
    if hunk.old_line == 1 and hunk.new_line == 1 and _is_title_line(old) and _is_title_line(new):
        return "document title changed (X)", "X-rename"
    return None


def _masked(text: str, *patterns: re.Pattern[str]) -> str:
    """Text with every match of the patterns replaced by a placeholder, compared on words."""
    for pattern in patterns:
        text = pattern.sub(" META ", text)
    return " ".join(_canon_tokens(text))


def _is_title_line(text: str) -> bool:
    """A single short line: the document's title."""
    text = text.strip().lstrip("#").strip()
    return bool(text) and "\n" not in text and len(text.split()) <= 12 and not _MODAL_WORD.search(text)
