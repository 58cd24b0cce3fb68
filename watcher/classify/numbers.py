"""The number rule: the quantities of a passage and which way a changed, dropped or added one points."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from watcher.classify.meta import _DATE
from watcher.classify.taxonomy import Signals
from watcher.classify.verdict import _Signal

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                 "thirty": 30, "fifty": 50, "hundred": 100, "twice": 2}
_QUANTITY = re.compile(
    r"(?<![\w.])(?P<value>10\^\d+|\d+(?:,\d{3})*(?:\.\d+)?(?:e\d+)?|"
    + "|".join(_NUMBER_WORDS) + r")(?P<unit>\s*(?:%|percent\b|x\b|\u00d7|times\b|-?fold\b))?(?![\w.]\d)",
    re.IGNORECASE)
_TIME_UNIT = re.compile(r"^\s*(?:business |calendar |working )?(?:days?|weeks?|months?|years?|hours?)\b",
                        re.IGNORECASE)
_LABEL_BEFORE = re.compile(r"(?:section|appendix|figure|table|page|footnote|version|v|step|phase|tier|"
                           r"level|asl|sl|chapter|part|annex|item|no\.?|§|ccl|tcl)[\s-]*$", re.IGNORECASE)
_COMPARISON_BEFORE = re.compile(
    r"(?:\b(?:than|at least|at most|above|below|under|over|exceed(?:s|ed|ing)?|up to|reach(?:es|ed)?|of|by|"
    r"to|from|within|every|minimum|maximum|approximately|about|around|only|all|roughly)|[<>≤≥=~])\s*$",
    re.IGNORECASE)
_COUNTED_NOUN = re.compile(
    r"\s*(?:FLOPs?|FLOP/s|parameters|tokens|employees|staff|people|persons|experts|evaluators|members|"
    r"trials|attempts|samples|runs|instances|points|percentage points|orders? of magnitude|times)\b",
    re.IGNORECASE)
_ONE_IN = re.compile(r"\b1\s+(?:in|out of)\s*$", re.IGNORECASE)
_QUALITATIVE = re.compile(r"\b(?:substantial(?:ly)?|significant(?:ly)?|meaningful(?:ly)?|material(?:ly)?|"
                          r"considerabl[ey]|notabl[ey]|marked(?:ly)?|historical|sufficient(?:ly)?|"
                          r"reasonabl[ey]|appropriate|high|low|large|small|many|several|few)\b",
                          re.IGNORECASE)


@dataclass(frozen=True)
class _Quantity:
    """A number in a passage, with what surrounds it."""

    value: float
    shown: str
    unit: str  # "%", "x", "times"... or ""
    before: str  # up to 40 characters before
    after: str  # up to 30 characters after


def _quantities(text: str) -> list[_Quantity]:
    """The numbers of a passage that are quantities: with a unit, a comparison before or a count noun after.

    Section and list numbers, versions, dates and footnote marks are not quantities.
    """
    out = []
    for match in _QUANTITY.finditer(text):
        before = text[max(0, match.start() - 40):match.start()]
        after = text[match.end():match.end() + 30]
        if _LABEL_BEFORE.search(before) or _DATE.search(text[max(0, match.start() - 12):match.end() + 12]):
            continue
        quantity = _Quantity(_number_value(match["value"]), match.group(0).strip(),
                             (match["unit"] or "").strip(), before, after)
        compared = _COMPARISON_BEFORE.search(before) or _ONE_IN.search(before)
        if quantity.unit or _TIME_UNIT.match(after) or _COUNTED_NOUN.match(after) or (
                compared and not match["value"].isalpha()):
            out.append(quantity)
    return out


def _number_value(raw: str) -> float:
    """The numeric value of "1,000", "2.5", "10^26", "1e26", "six"."""
    raw = raw.lower().replace(",", "")
    if raw in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[raw])
    if raw.startswith("10^"):
        return 10.0 ** int(raw[3:])
    return float(raw)


def _number_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """Numbers changed, dropped for words ('2x' -> 'substantially'), or added, read in their context."""
    old_q, new_q = _quantities(old), _quantities(new)
    if not old_q and not new_q:
        return
    threshold_sentence = bool(signals.higher_is_laxer.search(old + " " + new))
    where = "in threshold sentence" if threshold_sentence else ""
    matcher = difflib.SequenceMatcher(a=[q.shown.lower() for q in old_q], b=[q.shown.lower() for q in new_q],
                                      autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        pairs = list(zip(old_q[i1:i2], new_q[j1:j2], strict=False))  # extra ones: dropped or added
        for a, b in pairs:
            if a.value != b.value:
                yield _number_change(a, b, where, signals)
        for a in old_q[i1 + len(pairs):i2]:
            if threshold_sentence or _has_unit(a):
                words = _replacement_words(old, new, a.shown)
                yield (_Signal("weaken", f"number replaced by qualitative wording: '{a.shown}' -> '{words}'")
                       if words else _Signal("weaken", f"quantitative anchor removed: '{a.shown}'"))
        for b in new_q[j1 + len(pairs):j2]:
            if threshold_sentence or _has_unit(b):
                yield _Signal("strengthen", f"quantitative anchor added: '{b.shown}'")


def _has_unit(quantity: _Quantity) -> bool:
    """A percentage, a multiple, or a span of time: a quantity even outside threshold sentences."""
    return bool(quantity.unit or _TIME_UNIT.match(quantity.after))


def _number_change(a: _Quantity, b: _Quantity, where: str, signals: Signals) -> _Signal:
    """The direction of one changed number, from its unit and the words before it."""
    label = f"number changed{' ' + where if where else ''}: {a.shown} -> {b.shown}"
    higher = b.value > a.value
    if _TIME_UNIT.match(b.after) or _TIME_UNIT.match(a.after):
        stricter = not higher  # a deadline or a cadence: later or less often is laxer
    elif 1900 <= a.value <= 2100 and 1900 <= b.value <= 2100 and signals.deadline.search(a.before):
        stricter = not higher  # a year in a deadline
    elif _ONE_IN.search(a.before):
        stricter = higher  # "1 in 10,000": a rarer tolerated event
    elif signals.higher_is_stricter.search(a.before[-25:]):
        stricter = higher  # a minimum to meet
    elif where or signals.higher_is_laxer.search(a.before):
        stricter = not higher  # a capability threshold or tolerated rate
    else:
        return _Signal("neutral", label)
    return (_Signal("strengthen", f"{label} (stronger)") if stricter
            else _Signal("weaken", f"{label} (weaker)"))


def _replacement_words(old: str, new: str, shown: str) -> str:
    """The qualitative words the new text puts where a number was, if any."""
    old_words, new_words = old.split(), new.split()
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "delete") and shown.split()[0] in " ".join(old_words[i1:i2]):
            inserted = " ".join(new_words[j1:j2])
            if _QUALITATIVE.search(inserted):
                return inserted.strip(".,;:()")
            nearby = " ".join(new_words[max(0, j1 - 3):j2 + 3])
            if match := _QUALITATIVE.search(nearby):
                return match.group(0)
    return ""
