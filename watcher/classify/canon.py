"""Canonical text: the keys that decide "editorial" (glyphs, case, punctuation, spelling folded)."""

from __future__ import annotations

import functools
import re
import unicodedata

from watcher.normalize.text import clean_text

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+|[%$€£<>=+^≤≥&\u00d7]")
_HAS_WORD = re.compile(r"[^\W_]")

# British -> American spelling, as rules over one lower-case word (order matters: first match wins).
_SPELLING_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(a), b) for a, b in (
    (r"^practis(e|es|ed|ing)$", r"practic\1"),  # practise (verb) -> practice
    (r"(?<=\w{3})is(e|es|ed|ing|ation|ations|er|ers)$", r"iz\1"),  # organise, realisation
    (r"(?<=\w)ys(e|es|ed|ing|er|ers)$", r"yz\1"),  # analyse, paralysed
    (r"(?<=\w{3})our(s|ed|ing|able|ably|ful|ite|ites|ism|less|er|ers)?$", r"or\1"),  # behaviour
    (r"logue(s)?$", r"log\1"),  # catalogue, dialogue
    (r"logu(ed|ing)$", r"log\1"),
    (r"(?<=\w{2})([tb])re$", r"\1er"),  # centre, fibre
    (r"(?<=\w{2})([tb])res$", r"\1ers"),
    (r"(?<=\w{2})([tb])red$", r"\1ered"),
    (r"dgement(s)?$", r"dgment\1"),  # judgement, acknowledgement
    (r"(?<=\w{3}[aeiou])ll(ed|ing|er|ers)$", r"l\1"),  # modelling, labelled
    (r"^(fulfil|enrol|distil|instil|instal)(s|ment|ments)?$", r"\1l\2"),  # fulfil -> fulfill
    (r"ence$", r"ense"),  # defence, licence, offence
    (r"^programme(s)?$", r"program\1"),
))


@functools.lru_cache(maxsize=65536)
def _spelling_key(word: str) -> str:
    """One spelling for British and American variants of a lower-case word."""
    if len(word) < 5 or not word.isalpha():  # every rule needs a longer word
        return word
    for pattern, replacement in _SPELLING_RULES:
        word, hits = pattern.subn(replacement, word)
        if hits:
            return word
    return word


# Beyond clean_text: the multiplication sign ("3\u00d7 compute"), fraction slashes, invisible characters.
_MORE_GLYPHS = str.maketrans({"\u00d7": "x", "\u2044": "/", "\u2215": "/",
                              **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", None)})


def _typography_key(text: str) -> str:
    """Text with glyphs, quotes, dashes, case and whitespace unified."""
    folded = unicodedata.normalize("NFKC", clean_text(text)).translate(_MORE_GLYPHS).casefold()
    return " ".join(folded.split())


def _words(text: str) -> list[str]:
    """Words, numbers and meaningful symbols of text, without punctuation (after typography)."""
    return _WORD.findall(_typography_key(text))


def _canon_tokens(text: str) -> list[str]:
    """Words as compared for moves and matches: case, Unicode forms, punctuation and spelling folded."""
    # Quotes and dashes are not words, so the cheaper NFKC + casefold stands in for _typography_key.
    folded = unicodedata.normalize("NFKC", text).translate(_MORE_GLYPHS).casefold()
    return [_spelling_key(word) for word in _WORD.findall(folded)]


def _canon(text: str) -> str:
    """Canonical tokens joined with single spaces."""
    return " ".join(_canon_tokens(text))
