"""Scores of one format's replays against the corpus labels (metrics (a)-(d) of issue 3, part 9).

Passage matching ("a coded passage lies inside the material hunks"):

- Text is compared as word tokens: NFKC, case-folded, runs of letters/digits (punctuation, dashes,
  quotes, bullets and line breaks do not matter). Content tokens are tokens that are not English stop
  words (single letters excepted, digits kept).
- A passage is cut at elisions ("..." or "…") into fragments; no n-gram crosses a cut.
- A passage token is covered when some word trigram of its fragment that contains it occurs in one
  material hunk's text on the passage's side (old_text for v_i passages, new_text for v_next
  passages); fragments shorter than three tokens must occur whole. Trigrams keep the test local and
  in order: scattered common words elsewhere in a huge hunk set do not count.
- The passage lies inside when >= 60% of its content tokens are covered (COVERAGE).

Which side is checked, by adjudicated outcome: A (added) its v_next passage against new_text;
X, L, R and others their v_i passage against old_text; W and S (a passage on each side) both: the
v_i passage inside old_text and the v_next passage inside new_text. "Either side" would be allowed,
but it lets a passage that was touched again in the next revision count at the wrong transition
(measured on the first corpus: wrong-transition "any" 0.26 with either, 0.12 with both, for a recall
of 0.996 vs 0.992). Material and outcome are the ADJ_* values where filled.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from .layout import CodedRow, Corpus
from .replay import Step, StreamRun

COVERAGE = 0.6
SILENT_STATUSES = ("silent", "version_only")
_ELISION = re.compile(r"\.\s*\.\s*\.|…|\[\s*\.\.\.\s*\]")
_WORD = re.compile(r"[^\W_]+")
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00ad": ""})
STOP_WORDS = frozenset(["a", "an", "the", "and", "or", "nor", "but", "if", "then", "else", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into", "onto", "over", "under", "about", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "there", "their", "they", "them", "we", "our", "us", "you", "your", "he", "she", "his", "her", "which", "who", "whom", "whose", "what", "when", "where", "why", "how", "not", "no", "so", "such", "than", "too", "very", "can", "could", "may", "might", "shall", "should", "will", "would", "must", "do", "does", "did", "done", "has", "have", "had", "having", "i", "me", "my", "also", "any", "all", "each", "both", "either", "neither", "other", "some", "more", "most", "many", "much", "own", "same", "s", "t", "via", "per", "upon", "within", "without", "between", "among", "through", "during", "before", "after", "above", "below", "up", "down", "out", "off", "again", "further", "once", "here", "only", "just"])


def tokens(text: str) -> list[str]:
    """Word tokens of text, normalized for comparison."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()
    return _WORD.findall(text)


def is_content(token: str) -> bool:
    """Whether a token carries meaning for matching (not a stop word or a lone letter)."""
    return token not in STOP_WORDS and (len(token) > 1 or token.isdigit())


@dataclass
class SideIndex:
    """The n-grams (n = 1..3) of a set of hunk texts, each text on its own (no n-gram spans two)."""

    grams: set[tuple[str, ...]] = field(default_factory=set)

    @classmethod
    def of(cls, texts: list[str]) -> SideIndex:
        index = cls()
        for text in texts:
            words = tokens(text)
            for n in (1, 2, 3):
                index.grams.update(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
        return index

    def __bool__(self) -> bool:
        return bool(self.grams)


@lru_cache(maxsize=4096)
def fragments(passage: str) -> tuple[tuple[str, ...], ...]:
    """The passage's token runs between elisions."""
    return tuple(t for t in (tuple(tokens(part)) for part in _ELISION.split(passage)) if t)


def coverage(passage: str | None, index: SideIndex) -> float:
    """Share of the passage's content tokens covered by trigrams (see module doc) found in index."""
    if not passage or not index:
        return 0.0
    covered_content = total_content = covered_all = total_all = 0
    for words in fragments(passage):
        n = len(words)
        hits = [False] * n
        if n < 3:
            if words in index.grams:
                hits = [True] * n
        else:
            for i in range(n - 2):
                if words[i:i + 3] in index.grams:
                    hits[i] = hits[i + 1] = hits[i + 2] = True
        for word, hit in zip(words, hits):
            total_all += 1
            covered_all += hit
            if is_content(word):
                total_content += 1
                covered_content += hit
    if total_content:
        return covered_content / total_content
    return covered_all / total_all if total_all else 0.0


# --- reading watcher's change records (tolerant of fields issue 3 has not added yet) --------------

def hunk_is_material(hunk: dict[str, Any], change: dict[str, Any]) -> bool:
    """The hunk's `material`, else the change's, else True (before classification exists)."""
    value = hunk.get("material")
    if value is None:
        value = change.get("material")
    return True if value is None else bool(value)


def hunk_status(hunk: dict[str, Any]) -> str | None:
    """The hunk's explanation status string (explained, partial, version_only, silent, pending...)."""
    value = hunk.get("explanation")
    if isinstance(value, dict):
        value = value.get("status")
    return value if isinstance(value, str) else None


def classified(change: dict[str, Any]) -> bool:
    """Whether the change carries issue 3's classification fields."""
    return "material" in change or any("material" in h for h in change.get("hunks") or [])


def material_hunks(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Material hunks of the given changes."""
    return [h for c in changes for h in (c.get("hunks") or []) if hunk_is_material(h, c)]


@dataclass
class Transition:
    """One step's document change(s): its material hunks, indexed per side."""

    step: Step
    changes: list[dict[str, Any]]
    hunks: list[dict[str, Any]]
    old: SideIndex
    new: SideIndex

    @classmethod
    def of(cls, run: StreamRun, step: Step) -> Transition:
        changes = [c for c in run.changes_of(step) if c.get("kind") != "first_seen"]
        hunks = material_hunks(changes)
        return cls(step, changes, hunks, SideIndex.of([h.get("old_text") or "" for h in hunks]),
                   SideIndex.of([h.get("new_text") or "" for h in hunks]))


def row_found(row: CodedRow, transition: Transition) -> bool:
    """Whether the coded change lies inside the transition's material hunks (side rule: module doc)."""
    old_ok = coverage(row.v_i_text, transition.old) >= COVERAGE
    new_ok = coverage(row.v_next_text, transition.new) >= COVERAGE
    if row.outcome == "A":
        return new_ok if row.v_next_text else old_ok
    if row.outcome in ("W", "S") and row.v_i_text and row.v_next_text:
        return old_ok and new_ok
    return old_ok if row.v_i_text else new_ok


def hunk_overlaps(hunk: dict[str, Any], rows: list[CodedRow]) -> bool:
    """Whether a hunk shares at least two word trigrams (or all of a shorter side) with a coded passage
    on the same side (old_text with v_i passages, new_text with v_next passages)."""
    for side, attr in (("old_text", "v_i_text"), ("new_text", "v_next_text")):
        words = tokens(hunk.get(side) or "")
        if not words:
            continue
        grams = {tuple(words[i:i + 3]) for i in range(len(words) - 2)}
        needed = min(2, len(grams)) if grams else 0
        for row in rows:
            passage = getattr(row, attr)
            if not passage:
                continue
            if not grams:  # one or two tokens: must occur in the passage
                if any(tuple(words) == f[i:i + len(words)] for f in fragments(passage)
                       for i in range(len(f) - len(words) + 1)):
                    return True
                continue
            shared = sum(1 for f in fragments(passage) for i in range(len(f) - 2) if tuple(f[i:i + 3]) in grams)
            if shared >= needed:
                return True
    return False


# --- the metrics ------------------------------------------------------------------------------------

def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def step_for_version(run: StreamRun, label: str) -> Step | None:
    """The step that served this version label."""
    return next((s for s in run.steps if s.label == label and s.kind in ("version", "reupload")), None)


_FAILURES = re.compile(r"failures (\d+)")


def step_failed(step: Step) -> bool:
    """A check that did not run cleanly: non-zero exit, or any source failing (the summary line)."""
    if step.returncode not in (0, None):
        return True
    found = _FAILURES.search(step.check_line or "")
    return found is None or int(found.group(1)) > 0


def score_format(corpus: Corpus, runs: list[StreamRun], fmt: str) -> dict[str, Any]:
    """All metrics for one format's replays."""
    runs = [r for r in runs if r.fmt == fmt]
    by_stream = {r.stream: r for r in runs}
    out: dict[str, Any] = {"format": fmt, "streams": len(runs),
                           "errors": {r.stream: r.error for r in runs if r.error}}
    out["classified"] = any(classified(c) for r in runs for c in r.changes)
    out["reuploads"] = _score_reuploads(corpus, runs)
    out["noise"] = _score_noise(runs)
    out["pairs"], out["recall"], out["wrong"], out["overlap"] = _score_pairs(corpus, by_stream)
    out["hunks"] = _hunk_shape(runs)
    out["checks"] = {"steps": sum(len(r.steps) for r in runs),
                     "failed_checks": sum(1 for r in runs for s in r.steps if step_failed(s)),
                     "failed_examples": [f"{r.stream} {s.label} {s.kind}: {s.stderr.strip().splitlines()[-1][:200]}"
                                         for r in runs for s in r.steps if step_failed(s) and s.stderr.strip()][:5],
                     "seconds": round(sum(r.seconds for r in runs), 1),
                     "render_seconds": round(sum(r.render_seconds for r in runs), 1)}
    return out


def _score_reuploads(corpus: Corpus, runs: list[StreamRun]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for run in runs:
        stream = corpus.stream(run.stream)
        for step in run.steps:
            if step.kind != "reupload":
                continue
            changes = run.changes_of(step)
            labelled = [v for v in corpus.silent_variants
                        if v.provider == (stream.provider if stream else "") and v.variant_version == step.label]
            expected = any(v.material for v in labelled) if labelled else None
            flags = [c.get("same_label_reupload") for c in changes]
            materials = [c.get("material") for c in changes if c.get("material") is not None]
            detected = (any(f is True for f in flags) if any(f is not None for f in flags)
                        else (None if changes else False))
            got_material = any(materials) if materials else None
            rows.append({
                "stream": run.stream, "variant": step.label, "at": step.at, "changes": len(changes),
                "hunks": sum(len(c.get("hunks") or []) for c in changes),
                "material_hunks": len(material_hunks(changes)) if classified_any(changes) else None,
                "detected": detected, "watcher_material": got_material, "expected_material": expected,
                "material_agrees": (None if got_material is None or expected is None else got_material == expected),
                "severity": next((c.get("severity") for c in changes if c.get("severity") is not None), None),
            })
    judged = [r for r in rows if r["detected"] is not None]
    agree = [r for r in rows if r["material_agrees"] is not None]
    editorial = [r for r in rows if r["expected_material"] is False]
    return {
        "rows": rows, "n": len(rows),
        "changed": sum(1 for r in rows if r["changes"]),
        "detected": sum(1 for r in judged if r["detected"]) if judged else None,
        "detected_of": len(judged),
        "material_agree": sum(1 for r in agree if r["material_agrees"]) if agree else None,
        "material_agree_of": len(agree),
        "editorial_not_material": (sum(1 for r in editorial if r["watcher_material"] is False)
                                   if any(r["watcher_material"] is not None for r in editorial) else None),
        "editorial_of": len(editorial),
    }


def classified_any(changes: list[dict[str, Any]]) -> bool:
    """Whether any of these changes carries classification."""
    return any(classified(c) for c in changes)


def _score_noise(runs: list[StreamRun]) -> dict[str, Any]:
    noise_steps = doc_changes = updates_changes = spurious_updates = 0
    details: list[str] = []
    for run in runs:
        for step in run.steps:
            if step.kind in ("noise", "settle"):
                noise_steps += 1
                # first_seen here only means the earlier checks failed (reported as failed checks).
                d = [c for c in run.changes_of(step) if c.get("kind") != "first_seen"]
                u = [c for c in run.updates_changes_of(step) if c.get("kind") != "first_seen"]
                doc_changes += len(d)
                updates_changes += len(u)
                details += [f"{run.stream}: noise step changed {c['source']} ({c['stats']['hunks']} hunks)"
                            for c in d + u]
            elif not step.posted_account:
                # The updates page was only re-rendered (new noise, no new account): any change is noise.
                u = [c for c in run.updates_changes_of(step) if c.get("kind") != "first_seen"]
                spurious_updates += len(u)
                details += [f"{run.stream}: updates page changed at {step.label} without a new account"
                            for _ in u]
    return {"noise_steps": noise_steps, "doc_changes": doc_changes, "updates_changes": updates_changes,
            "updates_changes_without_account": spurious_updates, "details": details[:20],
            "total": doc_changes + updates_changes + spurious_updates}


def _score_pairs(corpus: Corpus, by_stream: dict[str, StreamRun]
                 ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any], dict[str, Any]]:
    pair_rows: list[dict[str, Any]] = []
    found_total = coded_total = 0
    wrong_hits = wrong_trials = wrong_any = wrong_rows = 0
    overlap_hits = overlap_total = 0
    for pair in corpus.pairs:
        if not pair.traced:
            continue
        stream = corpus.stream_for_pair(pair.provider, pair.v_i, pair.v_next)
        run = by_stream.get(stream.key) if stream else None
        entry: dict[str, Any] = {"pair": f"{pair.provider} {pair.v_i}->{pair.v_next}",
                                 "stream": stream.key if stream else None}
        rows = [r for r in corpus.coded if r.provider == pair.provider and r.v_i == pair.v_i
                and r.v_next == pair.v_next]
        material_rows = [r for r in rows if r.material]
        entry["coded_material"] = len(material_rows)
        entry["paper_silent_share"] = pair.paper_silent_share
        if run is None:
            continue  # its stream is not in this corpus copy, or not selected (--only)
        if run.error:
            entry["error"] = run.error
            pair_rows.append(entry)
            continue
        step = step_for_version(run, pair.v_next)
        if step is None:
            entry["error"] = f"{pair.v_next} not served"
            pair_rows.append(entry)
            continue
        transition = Transition.of(run, step)
        others = [Transition.of(run, s) for s in run.steps if s is not step and s.kind in ("version", "reupload")]
        others = [t for t in others if t.changes]
        found = [r for r in material_rows if row_found(r, transition)]
        entry["found"] = len(found)
        entry["recall"] = _ratio(len(found), len(material_rows))
        entry["missed"] = [r.commitment_id for r in material_rows if r not in found]
        found_total += len(found)
        coded_total += len(material_rows)
        # Wrong transition: the same rows against every other version pair of the stream.
        pair_wrong_hits = pair_wrong_trials = pair_wrong_any = 0
        for row in material_rows:
            hits = [row_found(row, other) for other in others]
            pair_wrong_hits += sum(hits)
            pair_wrong_trials += len(hits)
            pair_wrong_any += any(hits)
        entry["wrong_recall"] = _ratio(pair_wrong_any, len(material_rows)) if others else None
        entry["wrong_per_pair"] = _ratio(pair_wrong_hits, pair_wrong_trials)
        entry["other_transitions"] = len(others)
        wrong_hits += pair_wrong_hits
        wrong_trials += pair_wrong_trials
        wrong_any += pair_wrong_any
        wrong_rows += len(material_rows) if others else 0
        # Tightness at the right transition: hunk sizes, and coded passages that did not change at all
        # (same words on both sides) yet lie inside material hunks.
        entry["max_hunk_words"] = max((max(len(tokens(h.get("old_text") or "")), len(tokens(h.get("new_text") or "")))
                                       for h in transition.hunks), default=0)
        unchanged = [r for r in rows if r.v_i_text and r.v_next_text and tokens(r.v_i_text) == tokens(r.v_next_text)]
        entry["unchanged_passages"] = len(unchanged)
        entry["unchanged_inside"] = sum(1 for r in unchanged if coverage(r.v_i_text, transition.old) >= COVERAGE
                                        and coverage(r.v_next_text, transition.new) >= COVERAGE)
        # Overlap: material hunks that touch any coded passage of this pair.
        overlapping = [h for h in transition.hunks if hunk_overlaps(h, rows)]
        entry["material_hunks"] = len(transition.hunks)
        entry["hunks"] = sum(len(c.get("hunks") or []) for c in transition.changes)
        entry["overlap"] = _ratio(len(overlapping), len(transition.hunks))
        overlap_hits += len(overlapping)
        overlap_total += len(transition.hunks)
        # Silent share: material hunks explained as silent or version_only.
        statuses = [hunk_status(h) for h in transition.hunks]
        if transition.hunks and any(s is not None for s in statuses):
            silent = sum(1 for s in statuses if s in SILENT_STATUSES)
            entry["watcher_silent_share"] = silent / len(transition.hunks)
            entry["statuses"] = {s: statuses.count(s) for s in sorted(set(map(str, statuses)))}
            if pair.paper_silent_share is not None:
                entry["silent_diff_points"] = 100 * (entry["watcher_silent_share"] - pair.paper_silent_share)
        else:
            entry["watcher_silent_share"] = None
        entry["change_explanation"] = next((c.get("explanation", {}).get("status") for c in transition.changes
                                            if isinstance(c.get("explanation"), dict)), None)
        pair_rows.append(entry)
    recall = {"found": found_total, "coded": coded_total, "value": _ratio(found_total, coded_total)}
    # Headline: the share of coded rows found at some other version pair of their stream; also the
    # share of (row, other pair) combinations.
    wrong = {"rows_found_elsewhere": wrong_any, "rows": wrong_rows, "value": _ratio(wrong_any, wrong_rows),
             "hits": wrong_hits, "trials": wrong_trials, "per_pair_value": _ratio(wrong_hits, wrong_trials)}
    overlap = {"overlapping": overlap_hits, "material_hunks": overlap_total,
               "value": _ratio(overlap_hits, overlap_total)}
    return pair_rows, recall, wrong, overlap


def _hunk_shape(runs: list[StreamRun]) -> dict[str, Any]:
    """How tight the hunks are: words per hunk side, and the share of hunk text that did not change."""
    sizes: list[int] = []
    unchanged = changed = 0
    for run in runs:
        for change in run.changes:
            if change.get("kind") == "first_seen":
                continue
            for hunk in change.get("hunks") or []:
                sizes.append(max(len(tokens(hunk.get("old_text") or "")), len(tokens(hunk.get("new_text") or ""))))
                for op, text in hunk.get("segments") or []:
                    if op == "=":
                        unchanged += len(text)
                    else:
                        changed += len(text)
    if not sizes:
        return {"hunks": 0}
    sizes.sort()
    return {"hunks": len(sizes), "median_words": statistics.median(sizes),
            "p90_words": sizes[int(0.9 * (len(sizes) - 1))], "max_words": sizes[-1],
            "over_200_words": sum(1 for s in sizes if s > 200),
            "unchanged_share": _ratio(unchanged, unchanged + changed)}


# --- how faithfully each format's text reached watcher ----------------------------------------------

def fidelity(served: str, normalized: str) -> tuple[float, list[tuple[str, str]]]:
    """Token similarity between the text that was served and watcher's normalized text, and a few
    differing stretches (served, watcher)."""
    a, b = tokens(served), tokens(normalized)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    examples = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal" and len(examples) < 8:
            examples.append((" ".join(a[max(0, i1 - 2):i2 + 2])[:160], " ".join(b[max(0, j1 - 2):j2 + 2])[:160]))
    return matcher.ratio(), examples
