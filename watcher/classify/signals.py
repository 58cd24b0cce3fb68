"""The direction rules (_SIGNAL_RULES): each compares an old and a new passage and yields _Signal firings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from watcher.classify.canon import _canon
from watcher.classify.document import _passage_sentences
from watcher.classify.matcher import _Matcher, _mentioned
from watcher.classify.numbers import _number_signals
from watcher.classify.taxonomy import Signals
from watcher.classify.verdict import _Signal


def _signals(old: str, new: str, signals: Signals) -> list[_Signal]:
    """Every signal any rule of _SIGNAL_RULES finds between old and new."""
    return [signal for rule in _SIGNAL_RULES for signal in rule(old, new, signals)]


def _rung_matches(text: str, signals: Signals) -> Counter[tuple[int, str]]:
    """(rung, phrase) of every obligation word in text."""
    return Counter((rung, " ".join(m.group(0).lower().split()))
                   for rung, pattern in signals.rungs for m in pattern.finditer(text))


def _baseline_rung(text: str, signals: Signals) -> int | None:
    """The strongest obligation in text, present-tense practice counting as rung 1 (codebook 11.1)."""
    rungs = [rung for rung, _ in _rung_matches(text, signals) if rung <= 3]
    if signals.present_tense.search(text):
        rungs.append(1)
    return min(rungs) if rungs else None


def _obligation_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """The obligation moved down the scale (will -> may: weaker) or up (may -> will: stronger)."""
    old_rungs, new_rungs = _rung_matches(old, signals), _rung_matches(new, signals)
    removed, added = old_rungs - new_rungs, new_rungs - old_rungs
    if removed and added:
        before, after = min(removed), min(added)
    elif added:
        base = _baseline_rung(old, signals)
        if base is None:
            return
        before, after = (base, _phrase_of_rung(old, base, signals)), min(added)
    elif removed:
        base = _baseline_rung(new, signals)
        if base is None:
            return
        before, after = min(removed), (base, _phrase_of_rung(new, base, signals))
    else:
        return
    if after[0] > before[0]:
        yield _Signal("weaken", f"obligation {before[1]} -> {after[1]} (weaker)")
    elif after[0] < before[0]:
        yield _Signal("strengthen", f"obligation {before[1]} -> {after[1]} (stronger)")


def _phrase_of_rung(text: str, rung: int, signals: Signals) -> str:
    """The first phrase of that rung in text, or "present tense" for present-tense practice."""
    phrases = [phrase for r, phrase in _rung_matches(text, signals) if r == rung]
    return phrases[0] if phrases else "present tense"


def _escape_clause_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """An escape clause (competitor condition, 'as appropriate', 'unless'...) added or removed."""
    if not _mentioned(signals.escape_clauses, old, new):
        return
    for _label, pattern in signals.escape_clauses:
        added, removed = _label_added_and_removed(pattern, old, new)
        if added:
            yield _Signal("weaken", f"escape clause added: '{added[0]}'")
        elif removed:
            yield _Signal("strengthen", f"escape clause removed: '{removed[0]}'")


def _named_party_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """A named external party or decision body removed (weaker) or added (stronger)."""
    generic, _ = _added_and_removed(signals.generic_bodies, old, new)
    parties = (*signals.external_parties, *signals.named_bodies)
    if not _mentioned(parties, old, new):
        return
    for _label, pattern in parties:
        added, removed = _label_added_and_removed(pattern, old, new)
        if removed:
            replaced = f" (replaced by generic '{generic[0]}')" if generic else ""
            yield _Signal("weaken", f"named party removed: '{removed[0]}'{replaced}")
        elif added:
            yield _Signal("strengthen", f"named party added: '{added[0]}'")


def _halt_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """A halt verb (pause, stop, not deploy) replaced by a proceed verb, or the reverse."""
    halts_added, halts_removed = _added_and_removed(signals.halt, old, new)
    proceeds_added, proceeds_removed = _added_and_removed(
        signals.proceed, signals.halt.sub(" ", old), signals.halt.sub(" ", new))
    if halts_removed and not halts_added:
        if proceeds_added:
            yield _Signal("weaken", f"halt verb '{halts_removed[0]}' replaced by '{proceeds_added[0]}'")
        else:
            yield _Signal("weaken", f"halt verb removed: '{halts_removed[0]}'")
    elif halts_added and not halts_removed:
        if proceeds_removed:
            yield _Signal("strengthen", f"proceed verb '{proceeds_removed[0]}' replaced by halt verb "
                                        f"'{halts_added[0]}'")
        else:
            yield _Signal("strengthen", f"halt verb added: '{halts_added[0]}'")


def _disclosure_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """Publishing narrowed to private sharing, a publication duty removed, or one added."""
    published_added, published_removed = _added_and_removed(signals.publication, old, new)
    shared_added, _ = _added_and_removed(signals.private_sharing, old, new)
    if published_removed and not published_added:
        narrowed = f" -> '{shared_added[0]}'" if shared_added else ""
        yield _Signal("weaken", f"disclosure narrowed: '{published_removed[0]}'{narrowed}")
    elif published_added and not published_removed:
        yield _Signal("strengthen", f"disclosure widened: '{published_added[0]}'")


def _risk_domain_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """A risk domain dropped from (weaker) or added to (stronger) the scope."""
    if not _mentioned(signals.risk_domains, old, new):
        return
    for label, pattern in signals.risk_domains:
        added, removed = _label_added_and_removed(pattern, old, new)
        if removed:
            yield _Signal("weaken", f"risk domain removed: '{label}'")
        elif added:
            yield _Signal("strengthen", f"risk domain added: '{label}'")


def _recommendation_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """A commitment reworded as advice to the industry ("we recommend that developers...")."""
    added, _ = _added_and_removed(signals.recommendation, old, new)
    own_removed = [rung for rung, _ in _rung_matches(old, signals) - _rung_matches(new, signals) if rung <= 2]
    present_tense_lost = bool(signals.present_tense.search(old)) and not signals.present_tense.search(new)
    if added and (own_removed or present_tense_lost) and len(_passage_sentences(old)) <= 3:
        yield _Signal("relocate", f"commitment turned into an industry recommendation: '{added[0]}'")


def _added_and_removed(pattern: _Matcher, old: str, new: str) -> tuple[list[str], list[str]]:
    """Matches of pattern found more often in new (added) and more often in old (removed), as shown."""
    old_found, old_shown = _matches(pattern, old)
    new_found, new_shown = _matches(pattern, new)
    return ([new_shown[key] for key in new_found - old_found],
            [old_shown[key] for key in old_found - new_found])


def _label_added_and_removed(pattern: _Matcher, old: str, new: str) -> tuple[list[str], list[str]]:
    """Like _added_and_removed, but counting every wording of one label as the same thing.

    "AI Safety Institute" -> "AISI" is a rename, not a removal: only a change in how often the label
    occurs counts, and the reason quotes a wording that differs.
    """
    added, removed = _added_and_removed(pattern, old, new)
    difference = len(list(pattern.finditer(new))) - len(list(pattern.finditer(old)))
    return (added or ["?"]) if difference > 0 else [], (removed or ["?"]) if difference < 0 else []


def _matches(pattern: _Matcher, text: str) -> tuple[Counter[str], dict[str, str]]:
    """Canonical forms of the matches with their counts, and the first way each was written."""
    found: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for match in pattern.finditer(text):
        key = _canon(match.group(0))
        found[key] += 1
        shown.setdefault(key, " ".join(match.group(0).split()))
    return found, shown


_SignalRule = Callable[[str, str, Signals], Iterable[_Signal]]

# The direction rules, one a line: each compares the old and the new passage.
_SIGNAL_RULES: tuple[_SignalRule, ...] = (
    _obligation_signals,  # will -> may, present tense -> aim to
    _escape_clause_signals,  # 'if another developer...', 'as appropriate', 'unless', 'may adjust'
    _number_signals,  # 50% -> 70% in a threshold sentence, '2x' -> 'substantially'
    _named_party_signals,  # 'AISI' removed, named council -> 'appropriate governance function'
    _halt_signals,  # 'pause' -> 'proceed'
    _disclosure_signals,  # 'publish' -> 'share with'
    _risk_domain_signals,  # 'persuasion' dropped from the scope
    _recommendation_signals,  # 'we will' -> 'we recommend that developers'
)
