"""The check cycle: the only package that joins the stages.

    for each enabled source (and each document discovered on an index page), concurrently:
        url      = source.url, or the newest link matching `follow` on the `index` page
        capture  = fetch(url, conditional on the last version's ETag / Last-Modified)
        failed?  -> record the fetch; no change (a failure is never a change)
        404/410? -> record; a `removed` change if the source had content and was not already removed
        304?     -> record; the latest version was seen again (a `moved` change if it now lives elsewhere)
        200      -> keep the raw bytes; normalize to text
                    not content (bot challenge, login wall, soft 404, empty shell)? -> quarantined
                    text shrank by most of its length? -> re-fetch to confirm, else quarantined
                    same text (and links) as the latest version? -> seen again
                    otherwise a new version, diffed against the previous one, giving a change of kind
                    first_seen | modified | restored | moved, which is assessed (check.assess):
                      classify each hunk (editorial or material, tags I-VIII/X, direction),
                      explain it from public accounts (Outcome 3), and rate its severity
                    index/changelog/announcement pages: new links -> `discovered` documents
    then re-evaluate pending explanations (accounts may have arrived in this same run)
One source failing never stops the others; raw files and texts are on disk before rows point at them.
"""

from watcher.pipeline.assess import reevaluate
from watcher.pipeline.check import (
    CheckSummary,
    SourceResult,
    check_source,
    check_sources,
    dry_run,
    new_run,
    run_check,
)

__all__ = ["CheckSummary", "SourceResult", "check_source", "check_sources", "dry_run", "new_run", "reevaluate",
           "run_check"]
