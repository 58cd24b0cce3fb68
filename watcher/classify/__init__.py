"""Judge diff hunks: editorial or material, which commitments they touch, which way they move them.

A pure "Decider": no I/O except reading the packaged vocabulary (watcher/data/taxonomy.toml). Per hunk:

    1. editorial?  whitespace reflow, empty, typography, punctuation, spelling variant, table-of-contents
                   or page-number line, acknowledgements, or moved unchanged (the passage is still found
                   in the other version)                                  -> material = False, stop;
    2. tags        I-VIII (Frontier AI Safety Commitments) and X (meta) from the taxonomy patterns, on the
                   hunk's old and new text and its section heading;
    3. direction   version label, date, link or title only -> X (X-version, X-link, X-rename), neutral;
                   a hunk in the changelog section -> X (X-changelog), neutral;
                   pure deletion  -> each sentence is looked up in the new text (a move), the companion
                                     documents (relocate) and the new text's recommendations (relocate);
                                     what is gone and carries a commitment -> remove;
                   pure insertion -> add (weaken if it only adds a suspension condition);
                   replacement    -> the signal rules (signals._SIGNAL_RULES): obligation scale, escape
                                     clauses, numbers, named parties, halt verbs, disclosure, risk domains,
                                     recommendations. Weaken wins over strengthen (codebook section 4).
    4. severity()  over all verdicts of one change and its explanation status, by rating._SEVERITY_RULES.

Sentences are compared on canonical tokens (case, glyphs, punctuation and British/American spelling
folded). "Found elsewhere" means the canonical text occurs there, or, for sentences of at least
_FUZZY_MIN_TOKENS tokens, a sentence with token-set Dice similarity >= _FOUND_SIMILARITY (context.py).
Each text is indexed once (memoised), so classify_hunks over hundreds of hunks of a 1 MB document stays fast.

Modules, each importing only from those listed before it:

    matcher     regex matchers with a literal pre-check; compiling patterns
    taxonomy    Taxonomy, Signals, load_taxonomy (reads watcher/data/taxonomy.toml)
    canon       canonical text keys (typography, punctuation, spelling)
    document    lines, sentences, headings, contents lines, the memoised document index
    verdict     DIRECTIONS, EDITORIAL_REASONS, SEVERITIES, KEY_COMMITMENTS, HunkVerdict
    context     what a hunk is judged against, where it sits, the comparison thresholds
    meta        version label, date, link and title changes (X)
    numbers     quantities and the number rule
    signals     the direction rules (_SIGNAL_RULES)
    editorial   stage 1 (_EDITORIAL_CHECKS)
    direction   stage 3: deletions, insertions, rewrites
    rating      severity() (_SEVERITY_RULES)
    classifier  classify_hunks, classify_hunk
"""

from __future__ import annotations

from watcher.classify.classifier import classify_hunk, classify_hunks
from watcher.classify.rating import severity
from watcher.classify.taxonomy import Signals, Taxonomy, load_taxonomy
from watcher.classify.verdict import DIRECTIONS, EDITORIAL_REASONS, KEY_COMMITMENTS, SEVERITIES, HunkVerdict

__all__ = [
    "DIRECTIONS", "EDITORIAL_REASONS", "KEY_COMMITMENTS", "SEVERITIES", "HunkVerdict", "Signals", "Taxonomy",
    "classify_hunk", "classify_hunks", "load_taxonomy", "severity",
]
