"""Whether a company publicly explained each material change (Outcome 3 of the Seoul commitments).

Pure: no I/O, no clock (`now` is passed in). For one change (old text -> new text and its hunks):

    accounts = entries new in the document's own changelog section (its source, no seen_at)
             + entries seen on its `explained_by` sources with seen_at in [detected_at - grace, + grace]
    per material hunk (hunks inside the changelog section, or tagged X-changelog, are the account itself
    and get "n/a" like editorial hunks):
        explained     an account entry names it (content overlap of rare terms, see `matching._Matcher`)
        partial       an entry only points at it: a weaker overlap, or its section or commitment class
        version_only  nothing names it, but the version label or effective date was bumped
        pending       nothing names it yet and the grace window is still open
        silent        nothing names it and the window has lapsed
    change: "n/a" without material hunks; "explained" when every one is; "pending" while the window is
        open and some are not (a later call with a later `now` and more entries settles it); then
        "partial" if any is explained or pointed at; "version_only" if the label/date changed; "silent".

Evidence lists every new in-document entry (even one that names nothing, e.g. "minor edits", so a reader
sees the account existed) and every in-window external entry that names or points at a hunk or mentions
the new version; `reason_given` says whether an entry that names or points at a hunk gives a reason.

Modules, each importing only from those listed before it:

    values      status constants, AccountEntry, HunkExplanation, Explanation
    lines       the lines of a text and the line patterns
    dates       dates and version labels found in text
    headings    changelog headings, entry headings, labels, bullets, running headers and other noise
    entries     cutting a changelog or an account page into entries (split_account_entries)
    changelog   the changelog section (changelog_entries, new_changelog_entries)
    labels      the document's version label and effective date (version_label, effective_date, ...)
    matching    term profiles, rarity and the matcher that says whether an entry names a hunk
    verdict     explain_change
"""

from __future__ import annotations

from watcher.explain.changelog import SAME_ENTRY_SIMILARITY as SAME_ENTRY_SIMILARITY
from watcher.explain.changelog import changelog_entries, new_changelog_entries
from watcher.explain.entries import split_account_entries
from watcher.explain.labels import HEAD_LINES as HEAD_LINES
from watcher.explain.labels import effective_date, label_changed, same_label_reupload, version_label
from watcher.explain.matching import AREA_POINTS_SCORE as AREA_POINTS_SCORE
from watcher.explain.matching import AREA_RARITY as AREA_RARITY
from watcher.explain.matching import COVERAGE_FACTOR as COVERAGE_FACTOR
from watcher.explain.matching import DISTINCTIVE_WEIGHT as DISTINCTIVE_WEIGHT
from watcher.explain.matching import NAMES_MIN_TERMS as NAMES_MIN_TERMS
from watcher.explain.matching import NAMES_SCORE as NAMES_SCORE
from watcher.explain.matching import POINTS_SCORE as POINTS_SCORE
from watcher.explain.matching import RARE_TERM as RARE_TERM
from watcher.explain.values import DEFAULT_GRACE, AccountEntry, Explanation, HunkExplanation
from watcher.explain.values import EXPLAINED as EXPLAINED
from watcher.explain.values import NOT_APPLICABLE as NOT_APPLICABLE
from watcher.explain.values import PARTIAL as PARTIAL
from watcher.explain.values import PENDING as PENDING
from watcher.explain.values import SILENT as SILENT
from watcher.explain.values import VERSION_ONLY as VERSION_ONLY
from watcher.explain.verdict import explain_change

__all__ = [
    "DEFAULT_GRACE", "AccountEntry", "Explanation", "HunkExplanation", "changelog_entries", "effective_date",
    "explain_change", "label_changed", "new_changelog_entries", "same_label_reupload", "split_account_entries",
    "version_label",
]
