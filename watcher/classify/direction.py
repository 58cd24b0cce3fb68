"""Stage 3: the direction of a material hunk.

Meta and changelog changes are neutral; pure deletions and insertions are followed sentence by sentence
(moved, relocated to a companion or a recommendation, removed, added); rewrites go to the signal rules.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from watcher.classify.canon import _canon, _canon_tokens
from watcher.classify.context import (
    _FOUND_SIMILARITY,
    _FUZZY_MIN_TOKENS,
    _QUOTE_CHARS,
    _RECOMMENDATION_SIMILARITY,
    _RELOCATED_MIN_TOKENS,
    _Context,
    _headings_above,
)
from watcher.classify.document import _DocIndex, _heading_title, _passage_sentences, _Sentence
from watcher.classify.editorial import _found_unchanged
from watcher.classify.meta import _DATE, _VERSION_LABEL, _meta_change
from watcher.classify.signals import _baseline_rung, _rung_matches, _signals
from watcher.classify.taxonomy import Signals, Taxonomy, _parent_tag
from watcher.classify.verdict import _Judgement, _Signal
from watcher.diff import Hunk

_CHANGELOG = re.compile(r"change ?log|version history|revision history|updates and changes|past versions|"
                        r"release notes|document history|summary of changes", re.IGNORECASE)
# Meta changes that change no commitment: a bumped label or date is evidence (b) of the verdict, a link is a
# cross-reference. A renamed document (X-rename) stays material.
_META_EDITORIAL = {"X-version": "version-label", "X-link": "cross-reference"}
# Escape clauses that suspend an existing commitment even when they arrive as a sentence of their own
# (codebook example I: a marginal-risk provision is W, not A).
_SUSPENSION_CLAUSES = ("competitor", "may-adjust", "exemption", "at-our-discretion")


def _judge(hunk: Hunk, context: _Context) -> _Judgement:
    """Direction and reasons of a material hunk (or a late editorial reason for moved passages)."""
    if meta := _meta_change(hunk):
        reason, sub_tag = meta
        return _Judgement("neutral", (reason,), _META_EDITORIAL.get(sub_tag), tags=("X", sub_tag))
    if changelog := _changelog_heading(hunk, context):
        # The document's own account of its changes is evidence about them, not a change of commitment.
        return _Judgement(None, (f"changelog entry changed (section '{changelog}')",), "changelog",
                          tags=("X", "X-changelog"))
    old_sentences, new_sentences = _passage_sentences(hunk.old_text), _passage_sentences(hunk.new_text)
    dropped, added = _unpaired(old_sentences, new_sentences), _unpaired(new_sentences, old_sentences)
    # Whole sentences removed (or added) around unchanged ones are judged like pure deletions (insertions).
    if dropped and not added:
        return _judge_deletion(dropped, context)
    if added and not dropped:
        return _judge_insertion(added, context)
    return _direction_of(_signals(hunk.old_text, hunk.new_text, context.taxonomy.signals)
                         + _dropped_sentences(old_sentences, new_sentences, context))


def _changelog_heading(hunk: Hunk, context: _Context) -> str | None:
    """The changelog heading the hunk sits under, looking past dated or versioned entry headings."""
    for heading in _headings_above(hunk, context):
        if _CHANGELOG.search(heading):
            return heading
        if not (_DATE.search(heading) or _VERSION_LABEL.search(heading)) or len(heading.split()) > 10:
            return None
    return None


def _unpaired(sentences: Sequence[str], others: Sequence[str]) -> list[str]:
    """The sentences without an identical (canonical) counterpart among others, one for one."""
    available = Counter(_canon(other) for other in others)
    unpaired = []
    for sentence in sentences:
        key = _canon(sentence)
        if available[key]:
            available[key] -= 1
        else:
            unpaired.append(sentence)
    return unpaired


_NO_SIGNAL = ("material change without a direction signal",)


def _direction_of(signals: Sequence[_Signal], notes: Sequence[str] = ()) -> _Judgement:
    """Relocate beats weaken beats strengthen; both weaken and strengthen -> weaken (codebook 4, 11.3)."""
    reasons = [*notes, *(signal.reason for signal in signals)]
    directions = {signal.direction for signal in signals}
    if "weaken" in directions and "strengthen" in directions and "relocate" not in directions:
        reasons.append("mixed: weakening and strengthening signals, coded weaken")
    for direction in ("relocate", "weaken", "strengthen"):
        if direction in directions:
            return _Judgement(direction, tuple(dict.fromkeys(reasons)))
    return _Judgement("neutral", tuple(dict.fromkeys(reasons)) or _NO_SIGNAL)


# --- pure deletions and insertions: follow each sentence ---

@dataclass(frozen=True)
class _Fate:
    """Where a deleted (or inserted) sentence went: moved, companion, recommendation, or gone."""

    sentence: str
    where: str  # "moved" | "companion" | "recommendation" | "unmatched" (gone, or new)
    counterpart: str | None = None


def _judge_deletion(sentences: Sequence[str], context: _Context) -> _Judgement:
    """Deleted sentences: moved (editorial), relocated to a companion or a recommendation, or removed."""
    signals = context.taxonomy.signals
    fates = [_fate_of_deleted(sentence, context) for sentence in sentences]
    moved_signals = _moved_pair_signals(fates, signals, deleted=True)
    gone = [fate.sentence for fate in fates if fate.where == "unmatched"]
    relocated = [fate for fate in fates if fate.where in ("companion", "recommendation")]
    notes = [_relocation_note(fate) for fate in relocated]
    gone_commitments = [s for s in gone if _carries_commitment(s, context.taxonomy)]
    if gone_commitments:
        if all(_suspension_clauses(s, signals) for s in gone_commitments):
            clauses = [c for s in gone_commitments for c in _suspension_clauses(s, signals)]
            return _direction_of([_Signal("strengthen", f"escape clause removed: '{clauses[0]}'")])
        removed = [f"commitment removed: '{_quote(s)}'" for s in gone_commitments]
        return _Judgement("remove", tuple(removed + notes + [s.reason for s in moved_signals]))
    if relocated:
        return _Judgement("relocate", tuple(notes + [s.reason for s in moved_signals]))
    if gone:
        return _Judgement("neutral", tuple(f"passage removed (no commitment wording): '{_quote(s)}'"
                                           for s in gone))
    if moved_signals:
        return _direction_of(moved_signals)
    return _Judgement(None, ("passage found elsewhere in the new version",), editorial_reason="moved")


def _judge_insertion(sentences: Sequence[str], context: _Context) -> _Judgement:
    """Inserted sentences: moved (editorial), a suspension condition (weaken), a commitment (add)."""
    signals = context.taxonomy.signals
    fates = [_fate_of_inserted(sentence, context) for sentence in sentences]
    moved_signals = _moved_pair_signals(fates, signals, deleted=False)
    new = [fate.sentence for fate in fates if fate.where == "unmatched"]
    if not new:
        if moved_signals:
            return _direction_of(moved_signals)
        return _Judgement(None, ("passage found elsewhere in the old version",), editorial_reason="moved")
    clauses = [clause for sentence in new for clause in _suspension_clauses(sentence, signals)]
    if clauses:
        return _direction_of([_Signal("weaken", f"escape clause added: '{clauses[0]}'"), *moved_signals])
    if all(_is_advice(s, signals) for s in new):
        return _direction_of(moved_signals, notes=["recommendation added (not a self-commitment)"])
    added = [f"commitment added: '{_quote(s)}'" for s in new if _carries_commitment(s, context.taxonomy)]
    if added and not moved_signals:
        return _Judgement("add", tuple(added))
    return _direction_of(moved_signals, notes=added or [f"passage added: '{_quote(s)}'" for s in new])


def _is_advice(sentence: str, signals: Signals) -> bool:
    """Worded as a recommendation to others, without a self-commitment of rung 1 or 2."""
    own = [rung for rung, _ in _rung_matches(sentence, signals) if rung <= 2]
    return bool(signals.recommendation.search(sentence)) and not own


def _fate_of_deleted(sentence: str, context: _Context) -> _Fate:
    """Look for a deleted sentence in the new text, the companions, and the new recommendations."""
    tokens = _canon_tokens(sentence)
    if found := _find(sentence, tokens, context.old, context.new):
        return found
    if len(tokens) < _RELOCATED_MIN_TOKENS or not _carries_commitment(sentence, context.taxonomy):
        return _Fate(sentence, "unmatched")  # a fragment or a heading is not a relocated commitment
    for companion in context.companions:
        if companion.count(" ".join(tokens)) or _fuzzy(tokens, companion, _FOUND_SIMILARITY):
            return _Fate(sentence, "companion")
    if len(tokens) >= _FUZZY_MIN_TOKENS:
        match = context.new.best_match(tokens, _RECOMMENDATION_SIMILARITY)
        if match and _is_recommendation(match[1], context):
            return _Fate(sentence, "recommendation", match[1].text)
    return _Fate(sentence, "unmatched")


def _fate_of_inserted(sentence: str, context: _Context) -> _Fate:
    """Look for an inserted sentence in the old text."""
    return _find(sentence, _canon_tokens(sentence), context.new, context.old) or _Fate(sentence, "unmatched")


def _find(sentence: str, tokens: list[str], own: _DocIndex, other: _DocIndex) -> _Fate | None:
    """A move: the sentence unchanged (canonically) or nearly unchanged in the other version."""
    if _found_unchanged(" ".join(tokens), own, other):
        return _Fate(sentence, "moved")
    match = _fuzzy(tokens, other, _FOUND_SIMILARITY)
    return _Fate(sentence, "moved", match.text) if match else None


def _fuzzy(tokens: list[str], index: _DocIndex, threshold: float) -> _Sentence | None:
    """The best similar sentence of a long enough query, if any."""
    if len(tokens) < _FUZZY_MIN_TOKENS:
        return None
    match = index.best_match(tokens, threshold)
    return match[1] if match else None


def _is_recommendation(sentence: _Sentence, context: _Context) -> bool:
    """A sentence worded as advice to others, or under a recommendations heading."""
    heading = context.new.heading_at(sentence.start) or ""
    return bool(context.taxonomy.signals.recommendation.search(sentence.text)
                or re.search(r"recommend", heading, re.IGNORECASE))


def _moved_pair_signals(fates: Sequence[_Fate], signals: Signals, *, deleted: bool) -> list[_Signal]:
    """Direction signals between moved sentences and their slightly edited counterparts."""
    out: list[_Signal] = []
    for fate in fates:
        if fate.where == "moved" and fate.counterpart is not None:
            old, new = (fate.sentence, fate.counterpart) if deleted else (fate.counterpart, fate.sentence)
            out += [_Signal(s.direction, f"moved and edited: {s.reason}")
                    for s in _signals(old, new, signals)]
    return out


def _relocation_note(fate: _Fate) -> str:
    """The reason for one relocated sentence."""
    if fate.where == "companion":
        return f"found in a companion document: '{_quote(fate.sentence)}'"
    return (f"commitment turned into an industry recommendation: '{_quote(fate.sentence)}' -> "
            f"'{_quote(fate.counterpart or '')}'")


def _carries_commitment(text: str, taxonomy: Taxonomy) -> bool:
    """Commitment wording (the obligation scale or present-tense practice) or a tag I-VIII; not a heading."""
    if _heading_title(text) is not None:
        return False
    return _baseline_rung(text, taxonomy.signals) is not None or any(
        tag != "X" for tag in map(_parent_tag, taxonomy.tags_of(text)))


def _suspension_clauses(text: str, signals: Signals) -> list[str]:
    """Suspension conditions (competitor clause, may adjust, exemption, discretion) found in text."""
    return [match.group(0) for label, pattern in signals.escape_clauses if label in _SUSPENSION_CLAUSES
            for match in [pattern.search(text)] if match]


def _quote(text: str) -> str:
    """A sentence shortened for a reason string."""
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE_CHARS else text[:_QUOTE_CHARS - 3].rstrip() + "..."


def _dropped_sentences(old_sentences: Sequence[str], new_sentences: Sequence[str],
                       context: _Context) -> list[_Signal]:
    """In a multi-sentence rewrite: commitment sentences with no counterpart left or right."""
    if len(old_sentences) < 2 and len(new_sentences) < 2:
        return []
    signals: list[_Signal] = []
    for sentence in old_sentences:
        if (_unmatched(sentence, new_sentences, context.old, context.new)
                and _carries_commitment(sentence, context.taxonomy)):
            signals.append(_Signal("weaken", f"commitment sentence dropped: '{_quote(sentence)}'"))
    for sentence in new_sentences:
        if (_unmatched(sentence, old_sentences, context.new, context.old)
                and _carries_commitment(sentence, context.taxonomy)):
            signals.append(_Signal("strengthen", f"commitment sentence added: '{_quote(sentence)}'"))
    return signals


def _unmatched(sentence: str, others: Sequence[str], own: _DocIndex, other: _DocIndex) -> bool:
    """No sentence of others shares half its words, and the other version does not have it either."""
    tokens = _canon_tokens(sentence)
    if len(set(tokens)) < 5:
        return False
    for candidate in others:
        theirs = set(_canon_tokens(candidate))
        if 2 * len(set(tokens) & theirs) / (len(set(tokens)) + len(theirs)) >= 0.5:
            return False
    return _find(sentence, tokens, own, other) is None
