"""classify_hunks and classify_hunk: per hunk, the editorial check, the tags, then the direction."""

from __future__ import annotations

from collections.abc import Sequence

from watcher.classify.context import _Context, _section_of
from watcher.classify.direction import _judge
from watcher.classify.document import _doc_index
from watcher.classify.editorial import _editorial_reason
from watcher.classify.taxonomy import Taxonomy
from watcher.classify.verdict import HunkVerdict, _Judgement
from watcher.diff import Hunk


def classify_hunks(hunks: Sequence[Hunk], old_text: str, new_text: str, taxonomy: Taxonomy, *,
                   companions: Sequence[str] = ()) -> list[HunkVerdict]:
    """A verdict for each hunk of old_text -> new_text (companions: the organisation's other documents)."""
    context = _Context(_doc_index(old_text), _doc_index(new_text),
                       tuple(_doc_index(text) for text in companions), taxonomy)
    return [_verdict(hunk, context) for hunk in hunks]


def classify_hunk(hunk: Hunk, old_text: str, new_text: str, taxonomy: Taxonomy, *,
                  companions: Sequence[str] = ()) -> HunkVerdict:
    """The verdict for one hunk (see classify_hunks)."""
    return classify_hunks([hunk], old_text, new_text, taxonomy, companions=companions)[0]


def _verdict(hunk: Hunk, context: _Context) -> HunkVerdict:
    """Editorial check, tags, then direction for one hunk."""
    section = _section_of(hunk, context)
    tags = context.taxonomy.tags_of("\n".join((hunk.old_text, hunk.new_text, section or "")))
    reason = _editorial_reason(hunk, section, context)
    judgement = _Judgement(None, (), reason) if reason else _judge(hunk, context)
    if judgement.editorial_reason:
        why = judgement.reasons or (f"editorial: {judgement.editorial_reason}",)
        editorial_tags = judgement.tags if judgement.tags is not None else tags
        return HunkVerdict(False, "editorial", judgement.editorial_reason, editorial_tags, None, section, why)
    return HunkVerdict(True, "material", None, judgement.tags if judgement.tags is not None else tags,
                       judgement.direction, section, judgement.reasons)
