"""Naming: whether an account entry names or points at a hunk (term profiles, rarity, the _Matcher)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from watcher.diff import EQUAL, Hunk
from watcher.explain.dates import _canonical_label, _date_spans, _labels_in, _without_dates_and_versions

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
# Distinct tokens whose terms are remembered: a document's vocabulary is a few thousand tokens.
_TOKEN_CACHE_SIZE = 1 << 16


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


@lru_cache(maxsize=_TOKEN_CACHE_SIZE)
def _token_terms(token: str) -> tuple[tuple[str, bool], ...]:
    """The terms of one token as (term, distinctive): numbers, codes and acronyms are distinctive.

    Memoized: a document repeats its vocabulary on every line, and the rarity index reads every line.
    """
    if any(char.isdigit() for char in token):
        if _PURE_YEAR.fullmatch(token) or (token.isdigit() and len(token) < 2):
            return ()
        parts = [part for part in re.split(r"[-/.]", token) if part and not any(c.isdigit() for c in part)]
        return ((token.lower(), True), *(term for part in parts for term in _token_terms(part)))
    parts = [part for part in re.split(r"[-/.'’]", token) if part]
    if len(parts) > 1:
        return tuple(term for part in parts for term in _token_terms(part))
    letters = token.rstrip("+%")
    singular = letters[:-1] if letters.endswith("s") and letters[:-1].isupper() else letters
    if len(singular) >= 2 and singular.isupper() and len(singular) <= _ACRONYM_MAX_LETTERS:
        return ((singular.lower(), True),)
    word = token.lower()
    if word in _STOPWORDS or len(word) < 3:
        return ()
    stem = _stem_word(word)
    return () if stem in _GENERIC_STEMS else ((stem, False),)


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
            self._frequency.update({term for term, _ in _ordered_terms(line)})
        self._known: dict[str, float] = {}

    def __call__(self, term: str) -> float:
        """1 for a term on no line (or one), near 0 for a term on every line (remembered per term)."""
        rarity = self._known.get(term)
        if rarity is None:
            rarity = self._known[term] = self._compute(term)
        return rarity

    def _compute(self, term: str) -> float:
        """The rarity of one term from the line counts."""
        if self._count < 2:
            return 1.0
        frequency = max(self._frequency[term], 1)
        return max(0.0, min(1.0, math.log((self._count + 1) / frequency) / math.log(self._count + 1)))


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
    """Scores account entries against hunks with one document's rarities.

    `lines` gives the document's lines; the rarity index is built from them on first use only, since
    it tokenizes every line and most changes have no account entry to score.
    """

    def __init__(self, lines: Callable[[], Iterable[str]]) -> None:
        self._lines = lines
        self._totals: dict[int, tuple[_Profile, float]] = {}

    @cached_property
    def rarity(self) -> _Rarity:
        """The rarity of each term among the document's lines."""
        return _Rarity(self._lines())

    def total_weight(self, profile: _Profile) -> float:
        """The summed weight of a profile's terms, remembered per profile: each entry meets every hunk.

        Keyed by identity (two equal sets may sum in another order); holding the profile keeps its id unique.
        """
        known = self._totals.get(id(profile))
        if known is None:
            total = sum(self.weight(term, profile) for term in profile.terms)
            known = self._totals[id(profile)] = (profile, total)
        return known[1]

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
        entry_weight = self.total_weight(entry)
        hunk_weight = self.total_weight(hunk.text)
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
