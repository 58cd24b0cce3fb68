"""Stage 1: whether a hunk is editorial (_EDITORIAL_CHECKS, the first check that holds names the reason)."""

from __future__ import annotations

import re
from collections.abc import Callable

from watcher.classify.canon import _HAS_WORD, _canon, _canon_tokens, _typography_key, _words
from watcher.classify.context import (
    _FUZZY_MIN_TOKENS,
    _MOVED_SEGMENT_MIN_TOKENS,
    _NEAR_CHARS,
    _Context,
    _is_deletion,
    _is_insertion,
)
from watcher.classify.document import _DocIndex, _heading_title, _is_page_number_line, _is_toc_line
from watcher.classify.taxonomy import Signals
from watcher.diff import Hunk

_ACKNOWLEDGEMENTS = re.compile(r"acknowledg|contributors|\bthanks\b|\bcredits\b", re.IGNORECASE)
_CONTENTS = re.compile(r"^(table of )?contents$", re.IGNORECASE)


def _differs_only_in_whitespace(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """Reflow: the same words with other spaces and line breaks."""
    return hunk.old_text.split() == hunk.new_text.split()


def _changes_carry_no_words(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """An inserted or deleted passage without a letter or digit (a rule line, a stray bullet)."""
    one_sided = not hunk.old_text.strip() or not hunk.new_text.strip()
    return one_sided and not _HAS_WORD.search(hunk.old_text + hunk.new_text)


def _differs_only_in_typography(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """Quotes, dashes, ligatures, case, Unicode forms."""
    return _typography_key(hunk.old_text) == _typography_key(hunk.new_text)


def _differs_only_in_punctuation(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """The same words and numbers ("e.g." vs "e.g.,", "decision-making" vs "decision making")."""
    return "".join(_words(hunk.old_text)) == "".join(_words(hunk.new_text))


def _differs_only_in_spelling(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """British and American spellings of the same words (organisation / organization)."""
    return "".join(_canon_tokens(hunk.old_text)) == "".join(_canon_tokens(hunk.new_text))


# Footnote marks: glued to a word ("misuse13", "risk.4") or opening a footnote line ("13 See ...").
_FOOTNOTE_MARK = re.compile(r"(?:(?<=[a-z]{3})|(?<=[a-z][.,;:)\"']))\d{1,3}\b(?!\s*(?:%|x\b|percent))"
                            r"|^\s*\d{1,3}(?=\s+[A-Z])", re.MULTILINE)


def _differs_only_in_numbering(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """Footnote marks renumbered (a footnote added earlier shifts every later number)."""
    def unmarked(text: str) -> str:
        return "".join(_canon_tokens(_FOOTNOTE_MARK.sub(" ", text)))
    return bool(_FOOTNOTE_MARK.search(hunk.old_text + "\n" + hunk.new_text)) and (
        unmarked(hunk.old_text) == unmarked(hunk.new_text))


def _touches_only_toc_lines(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """Every changed line is a contents entry or page number, and it sits among such lines."""
    old_lines = _touched_lines(context.old.text, hunk.old_start, len(hunk.old_text))
    new_lines = _touched_lines(context.new.text, hunk.new_start, len(hunk.new_text))
    changed = [line for line in (old_lines if hunk.old_text.strip() else [])
               + (new_lines if hunk.new_text.strip() else []) if line.strip()]
    # A contents entry may have lost its page number on the way (title only): allowed among entries.
    if not changed or not all(_is_toc_line(line) or _heading_title(line) for line in changed):
        return False
    if any(_is_page_number_line(line) for line in changed):
        return True
    neighbours = (_neighbour_lines(context.old.text, hunk.old_start, len(hunk.old_text))
                  + _neighbour_lines(context.new.text, hunk.new_start, len(hunk.new_text)))
    return bool(section and _CONTENTS.match(section)) or any(_is_toc_line(line) for line in neighbours)


def _in_acknowledgements(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """The hunk sits under an Acknowledgements (contributors, thanks) heading."""
    return bool(section and _ACKNOWLEDGEMENTS.search(section))


def _moved_within_sentence_edit(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """Every changed piece of a rewritten passage is a long run still found as often in the other text."""
    if _is_deletion(hunk) or _is_insertion(hunk):
        return False  # whole passages are followed sentence by sentence in stage 3
    pieces = [(op, text) for op, text in hunk.segments if op != "=" and _HAS_WORD.search(text)]
    if not pieces:
        return False
    for op, text in pieces:
        piece = _canon(text)
        own, other = (context.old, context.new) if op == "-" else (context.new, context.old)
        # A short piece found as often elsewhere may be an unrelated edit (will -> may here, may -> will
        # there): it counts as moved only if it went a short way (a footnote crossing a page break) and
        # carries none of the words the direction rules read.
        position = hunk.new_start if op == "-" else hunk.old_start
        if len(piece.split()) < _MOVED_SEGMENT_MIN_TOKENS and (
                _has_signal_words(text, context.taxonomy.signals)
                or not _occurs_near(piece, other.text, position)):
            return False
        if other.count(piece) < own.count(piece):
            return False
    return True


def _has_signal_words(text: str, signals: Signals) -> bool:
    """Whether text holds a number or any word of the direction vocabulary."""
    patterns = (*(p for _, p in signals.rungs), signals.present_tense, signals.halt, signals.proceed,
                signals.publication, signals.private_sharing, signals.recommendation,
                *(p for _, p in (*signals.escape_clauses, *signals.external_parties, *signals.named_bodies,
                                 *signals.risk_domains)))
    return any(ch.isdigit() for ch in text) or any(pattern.search(text) for pattern in patterns)


def _occurs_near(canon_piece: str, text: str, position: int) -> bool:
    """Whether the canonical piece occurs within _NEAR_CHARS of position in text."""
    window = text[max(0, position - _NEAR_CHARS):position + _NEAR_CHARS]
    return f" {canon_piece} " in f" {_canon(window)} "


def _moved_whole_passage(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """An inserted or deleted passage that exists, unchanged, elsewhere in the other version."""
    if _is_deletion(hunk):
        own, other, text = context.old, context.new, hunk.old_text
    elif _is_insertion(hunk):
        own, other, text = context.new, context.old, hunk.new_text
    else:
        return False
    return _found_unchanged(_canon(text), own, other)


def _found_unchanged(canon: str, own: _DocIndex, other: _DocIndex) -> bool:
    """A long run found in other, or a short one found there at least as often as in its own text."""
    if not canon:
        return False
    if len(canon.split()) >= _FUZZY_MIN_TOKENS:
        return other.count(canon) > 0
    return other.count(canon) >= own.count(canon)


_EditorialCheck = Callable[[Hunk, str | None, _Context], bool]

# (reason, check): the first check that holds names the hunk editorial. Order: cheapest and surest first.
_EDITORIAL_CHECKS: tuple[tuple[str, _EditorialCheck], ...] = (
    ("whitespace", _differs_only_in_whitespace),
    ("empty", _changes_carry_no_words),
    ("typography", _differs_only_in_typography),
    ("punctuation", _differs_only_in_punctuation),
    ("spelling-variant", _differs_only_in_spelling),
    ("toc-or-page-number", _touches_only_toc_lines),
    ("toc-or-page-number", _differs_only_in_numbering),  # numbering artefacts share the reason
    ("acknowledgements", _in_acknowledgements),
    ("moved", _moved_whole_passage),
    ("moved", _moved_within_sentence_edit),
)


def _editorial_reason(hunk: Hunk, section: str | None, context: _Context) -> str | None:
    """Why the hunk is editorial, or None when it may be material."""
    return next((reason for reason, check in _EDITORIAL_CHECKS if check(hunk, section, context)), None)


def _touched_lines(text: str, start: int, length: int) -> list[str]:
    """The whole lines of text that the span [start, start + length) touches."""
    if not text:
        return []
    begin = text.rfind("\n", 0, start) + 1
    end = text.find("\n", start + max(length, 1) - 1)
    return text[begin:end if end >= 0 else len(text)].split("\n")


def _neighbour_lines(text: str, start: int, length: int) -> list[str]:
    """The line before and the line after the span."""
    begin = text.rfind("\n", 0, start) + 1
    end = text.find("\n", start + max(length, 1) - 1)
    before = text[:max(begin - 1, 0)].rsplit("\n", 1)[-1] if begin > 0 else ""
    after = text[end + 1:].split("\n", 1)[0] if end >= 0 else ""
    return [line for line in (before, after) if line.strip()]
