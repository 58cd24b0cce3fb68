"""Text cleanup shared by every format, so that text that reads the same hashes the same."""

from __future__ import annotations

import re
import unicodedata

# Zero-width characters, soft hyphen, BOM, and bidi controls: invisible, and they vary between exports.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
             "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    None,
)
_GLYPHS = str.maketrans({
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u0060\u00b4\uff07", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\uff02", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                    "\u202f\u205f\u3000\t\u000b\u000c", " "),
    "\u2026": "...",
    "\u2022": "-", "\u25cf": "-", "\u25aa": "-", "\u2023": "-", "\u2043": "-", "\u00b7": "-",
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
    "\ufb06": "st",
    "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\u0085": "\n",
})
_SPACES = re.compile(r" {2,}")
_BLANK_RUNS = re.compile(r"\n{2,}")


def clean_line(line: str) -> str:
    """Unify glyphs and spaces in one line of text (no newlines expected)."""
    line = unicodedata.normalize("NFC", line).translate(_INVISIBLE).translate(_GLYPHS)
    return _SPACES.sub(" ", line).strip()


def clean_text(text: str) -> str:
    """NFC, drop invisible characters, unify quotes, dashes and spaces; one block a line, no blank lines."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).translate(_GLYPHS)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def apply_ignores(text: str, patterns: list[re.Pattern[str]]) -> str:
    """Remove every match of the source's `ignore` patterns, then drop lines left empty."""
    for pattern in patterns:
        text = pattern.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
