"""explain_change: the Outcome 3 verdict per material hunk and for the whole change."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from watcher.diff import Hunk
from watcher.explain.changelog import _changelog_section, _Section, new_changelog_entries
from watcher.explain.dates import _without_dates_and_versions
from watcher.explain.labels import effective_date, label_changed, version_label
from watcher.explain.lines import _lines
from watcher.explain.matching import (
    _gives_reason,
    _hunk_profile,
    _HunkProfile,
    _Matcher,
    _mentions_version,
    _profile,
)
from watcher.explain.values import (
    DEFAULT_GRACE,
    EXPLAINED,
    NOT_APPLICABLE,
    PARTIAL,
    PENDING,
    SILENT,
    VERSION_ONLY,
    AccountEntry,
    Explanation,
    HunkExplanation,
)


def _as_utc(moment: datetime) -> datetime:
    """An aware datetime; a naive one is taken to be UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time as an aware datetime, None if missing or unreadable."""
    if not value:
        return None
    try:
        return _as_utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None


def _in_window(entry: AccountEntry, detected_at: datetime, grace: timedelta) -> bool:
    """Whether an external entry was first seen within grace of the change; one without a time never is."""
    seen = _parse_time(entry.seen_at)
    return seen is not None and detected_at - grace <= seen <= detected_at + grace


def _outside_changelog(hunk: Hunk, tags: Sequence[str], old_section: _Section | None,
                       new_section: _Section | None) -> tuple[str, str] | None:
    """The hunk's old and new text outside the changelog section; None if it is all changelog (the
    account itself, not a change it explains) or tagged X-changelog."""
    if any(tag.lower().startswith("x-changelog") for tag in tags):
        return None
    old_text = _without_span(hunk.old_text, hunk.old_start, old_section)
    new_text = _without_span(hunk.new_text, hunk.new_start, new_section)
    return (old_text, new_text) if old_text.strip() or new_text.strip() else None


def _without_span(text: str, start: int, section: _Section | None) -> str:
    """A passage at offset start with the part lying inside section removed."""
    if section is None:
        return text
    low, high = max(start, section.start), min(start + len(text), section.end)
    return text if low >= high else text[:low - start] + "\n" + text[high - start:]


def _body_lines(text: str, section: _Section | None) -> list[str]:
    """The lines of a text outside its changelog section (_changelog_section(text))."""
    return [line.text for line in _lines(text)
            if section is None or not section.start <= line.start < section.end]


def _only_label_or_date(hunk: Hunk) -> bool:
    """The hunk changes nothing but a version label or a date: it is evidence (b), not a change to explain."""
    def bare(text: str) -> str:
        return "".join(re.findall(r"\w+", _without_dates_and_versions(text).lower()))

    return bool(hunk.old_text or hunk.new_text) and bare(hunk.old_text) == bare(hunk.new_text)


def _summary(statuses: list[str], open_window: bool, bumped: bool, addressed: bool) -> str:
    """The change-level status from its material hunks' statuses (addressed: an account names or points at one)."""
    if not statuses:
        return NOT_APPLICABLE
    if all(status == EXPLAINED for status in statuses):
        return EXPLAINED
    if open_window:
        return PENDING
    if addressed:
        return PARTIAL
    return VERSION_ONLY if bumped else SILENT


def _match_entries(own: list[AccountEntry], windowed: list[AccountEntry], profiles: dict[int, _HunkProfile],
                   matcher: _Matcher, new_text: str
                   ) -> tuple[list[AccountEntry], dict[int, list[int]], dict[int, list[int]]]:
    """The evidence kept, and per hunk the evidence indices that name it and that point at it.

    Every new in-document entry is kept; an external entry only if it names or points at a hunk or
    mentions the new version (a news index also lists posts about other things).
    """
    label, iso_date = version_label(new_text), effective_date(new_text)
    names: dict[int, list[int]] = {i: [] for i in profiles}
    points: dict[int, list[int]] = {i: [] for i in profiles}
    evidence: list[AccountEntry] = []
    for entry, is_own in [(entry, True) for entry in own] + [(entry, False) for entry in windowed]:
        entry_profile = _profile(entry.text)
        named = [i for i, hunk in profiles.items() if matcher.names(entry_profile, hunk)]
        pointed = [i for i, hunk in profiles.items() if i not in named and matcher.points_at(entry_profile, hunk)]
        if not (is_own or named or pointed or _mentions_version(entry.text, label, iso_date)):
            continue
        for i in named:
            names[i].append(len(evidence))
        for i in pointed:
            points[i].append(len(evidence))
        evidence.append(entry)
    return evidence, names, points


def explain_change(hunks: Sequence[Hunk], material: Sequence[bool], tags: Sequence[tuple[str, ...]],
                   sections: Sequence[str | None], old_text: str, new_text: str, *, source_id: str,
                   url: str | None, external: Sequence[AccountEntry], detected_at: datetime, now: datetime,
                   grace: timedelta = DEFAULT_GRACE) -> Explanation:
    """Say, per material hunk and for the change, whether public evidence explains it (module docstring)."""
    if not len(hunks) == len(material) == len(tags) == len(sections):
        raise ValueError("hunks, material, tags and sections must have the same length")
    detected_at, now = _as_utc(detected_at), _as_utc(now)
    old_section, new_section = _changelog_section(old_text), _changelog_section(new_text)
    outside = {i: _outside_changelog(hunks[i], tags[i], old_section, new_section)
               for i in range(len(hunks)) if material[i] and not _only_label_or_date(hunks[i])}
    profiles = {i: _hunk_profile(hunks[i], *texts, sections[i], tags[i])
                for i, texts in outside.items() if texts is not None}
    counted = sorted(profiles)
    # The term-rarity index behind the matcher reads every line of both versions: it is built only if an
    # account entry gets scored against a hunk.
    matcher = _Matcher(lambda: _body_lines(old_text, old_section) + _body_lines(new_text, new_section))

    own = [AccountEntry(source_id, url, text, None) for text in new_changelog_entries(old_text, new_text)]
    windowed = [entry for entry in external if _in_window(entry, detected_at, grace)]
    evidence, names, points = _match_entries(own, windowed, profiles, matcher, new_text)

    bumped = label_changed(old_text, new_text)
    open_window = now < detected_at + grace
    per_hunk = []
    for i in range(len(hunks)):
        if i not in profiles:
            per_hunk.append(HunkExplanation(NOT_APPLICABLE))
        elif names[i]:
            per_hunk.append(HunkExplanation(EXPLAINED, tuple(names[i])))
        else:
            # An entry that only points at the hunk's class ("updated our thresholds") does not explain it:
            # per hunk the verdict is as if unexplained; the pointer stays in the evidence.
            per_hunk.append(HunkExplanation(VERSION_ONLY if bumped else PENDING if open_window else SILENT,
                                            tuple(points[i])))

    hunk_evidence: dict[int, tuple[int, ...]] = {}
    for i, verdict in enumerate(per_hunk):
        for index in verdict.evidence:
            hunk_evidence[index] = (*hunk_evidence.get(index, ()), i)
    for index in range(len(evidence)):
        hunk_evidence.setdefault(index, ())
    reason_given = any(_gives_reason(evidence[index].text) for index, named in hunk_evidence.items() if named)
    addressed = any(names[i] or points[i] for i in counted)
    status = _summary([per_hunk[i].status for i in counted], open_window, bumped, addressed)
    return Explanation(status, reason_given, tuple(evidence), hunk_evidence, tuple(per_hunk))
