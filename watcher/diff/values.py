"""The diff's public values: segment ops, Hunk, TextDiff, and Hunk's JSON round trip.

Pure data: no diffing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EQUAL, DELETE, INSERT = "=", "-", "+"
_OPS = (EQUAL, DELETE, INSERT)


@dataclass(frozen=True)
class Hunk:
    """One changed passage: whole sentence(s) or whole lines, with word-level segments inside."""

    old_text: str
    new_text: str
    old_start: int
    new_start: int
    old_line: int
    new_line: int
    context_before: str
    context_after: str
    segments: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        """This hunk as a JSON-ready dict (segments as [op, text] lists)."""
        return {
            "old_text": self.old_text, "new_text": self.new_text,
            "old_start": self.old_start, "new_start": self.new_start,
            "old_line": self.old_line, "new_line": self.new_line,
            "context_before": self.context_before, "context_after": self.context_after,
            "segments": [[op, text] for op, text in self.segments],
        }


@dataclass(frozen=True)
class TextDiff:
    """All hunks between two texts, with the number of characters added and removed."""

    hunks: tuple[Hunk, ...]
    chars_added: int
    chars_removed: int

    def stats(self) -> dict[str, int]:
        """Counts for summaries: characters added, characters removed, hunks."""
        return {"chars_added": self.chars_added, "chars_removed": self.chars_removed,
                "hunks": len(self.hunks)}

    def to_json(self) -> list[dict[str, Any]]:
        """The hunks as JSON-ready dicts; hunk_from_json reverses one entry."""
        return [hunk.to_json() for hunk in self.hunks]


def hunk_from_json(d: dict[str, Any]) -> Hunk:
    """Rebuild a Hunk from one entry of TextDiff.to_json()."""
    segments = tuple((op, text) for op, text in d["segments"])
    if any(op not in _OPS or not isinstance(text, str) for op, text in segments):
        raise ValueError(f"malformed hunk segments: {d['segments']!r}")
    return Hunk(
        old_text=d["old_text"], new_text=d["new_text"],
        old_start=int(d["old_start"]), new_start=int(d["new_start"]),
        old_line=int(d["old_line"]), new_line=int(d["new_line"]),
        context_before=d["context_before"], context_after=d["context_after"],
        segments=segments,
    )
