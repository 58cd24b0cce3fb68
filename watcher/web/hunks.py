"""Hunks as pages show them: labels, word-level segments for the inline and side-by-side views, and the
anchors of the previous and next hunk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from watcher.diff import DELETE, EQUAL, INSERT

LINE_BREAK_SIGN = "\u21b5"  # ↵: an added or removed line break would be invisible


@dataclass(frozen=True)
class Segment:
    """A piece of a hunk: op '=', '-' or '+', and its text as displayed."""

    op: str
    text: str

    @property
    def changed(self) -> bool:
        """Removed or added text (highlighted)."""
        return self.op != EQUAL


@dataclass(frozen=True)
class HunkView:
    """One hunk with what is known about it; `material` is None when the hunk was not classified."""

    number: int
    old_line: int
    new_line: int
    segments: tuple[Segment, ...]
    context_before: str
    context_after: str
    material: bool | None
    editorial_reason: str | None
    tags: tuple[str, ...]
    direction: str | None
    section: str | None
    explanation: str | None
    reasons: tuple[str, ...]
    total: int
    labels_from: int | None = None  # the stored change whose labels this hunk carries, in a computed diff

    @property
    def anchor(self) -> str:
        """The fragment id of this hunk (stable: hunks depend on the two texts alone)."""
        return f"hunk-{self.number}"

    @property
    def previous_anchor(self) -> str | None:
        """The fragment id of the hunk before, if any."""
        return f"hunk-{self.number - 1}" if self.number > 1 else None

    @property
    def next_anchor(self) -> str | None:
        """The fragment id of the hunk after, if any."""
        return f"hunk-{self.number + 1}" if self.number < self.total else None

    @property
    def editorial(self) -> bool:
        """Classified as editorial (shown collapsed)."""
        return self.material is False

    def side(self, side: str) -> list[Segment]:
        """The old ('old') or new ('new') side: unchanged text plus what that side alone has."""
        keep = DELETE if side == "old" else INSERT
        return [s for s in self.segments if s.op in (EQUAL, keep)]


def displayed(op: str, text: str) -> Segment:
    """A segment whose changed line breaks show as a sign."""
    if op != EQUAL and text.isspace() and "\n" in text:
        return Segment(op, text.replace("\n", LINE_BREAK_SIGN + "\n"))
    return Segment(op, text)


def views_from_json(hunks: Sequence[dict[str, Any]]) -> list[HunkView]:
    """Views of the hunks of a stored change (as in `watcher changes --json`)."""
    return [_view(i + 1, len(hunks), h, h) for i, h in enumerate(hunks)]


def _view(number: int, total: int, hunk: dict[str, Any], labels: dict[str, Any]) -> HunkView:
    material = labels.get("material")
    pairs = hunk.get("segments") or [(DELETE, hunk.get("old_text") or ""),
                                     (INSERT, hunk.get("new_text") or "")]
    return HunkView(
        number=number, total=total, old_line=int(hunk.get("old_line") or 0),
        new_line=int(hunk.get("new_line") or 0),
        segments=tuple(displayed(op, text) for op, text in pairs if text),
        context_before=hunk.get("context_before") or "", context_after=hunk.get("context_after") or "",
        material=None if material is None else bool(material),
        editorial_reason=labels.get("editorial_reason"), tags=tuple(labels.get("tags") or ()),
        direction=labels.get("direction"), section=labels.get("section"),
        explanation=labels.get("explanation"), reasons=tuple(labels.get("reasons") or ()),
        labels_from=labels.get("labels_from"),
    )
