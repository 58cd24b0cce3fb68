"""Pass 3: a block's chunks as pieces with offsets, then spans: whole-line runs on their own (long
runs split at headings), other edits widened to their sentence(s) and merged when they touch.

Sentences end at a line break, at . ! ? ; followed by whitespace (closing quotes or brackets may
come between), and after the CJK stops 。！？ (spaces are optional there).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from watcher.diff.tokens import _Chunk
from watcher.diff.values import DELETE, EQUAL, INSERT

_MAX_RUN_LINES = 20  # a longer run of inserted/deleted lines is split at its headings
_HEADING = re.compile(r"#+ ")

_STOPS = ".!?;"
_CJK_STOPS = "。！？"
_CLOSERS = "\"')]}»”’」』）"
_BREAK_CANDIDATE = re.compile(
    rf"\n|(?P<stop>[{re.escape(_STOPS)}{_CJK_STOPS}][{re.escape(_CLOSERS)}]*)[^\S\n]*")
_LINE = re.compile(r"[^\n]*\n|[^\n]+")


@dataclass(frozen=True)
class _Piece:
    """A stretch of one op with its offsets; whole_line marks one complete inserted or deleted line."""

    op: str
    text: str
    old_pos: int
    new_pos: int
    whole_line: bool = False


@dataclass(frozen=True)
class _Span:
    """A hunk before line numbers and context: where it starts and its segments."""

    old_start: int
    new_start: int
    segments: tuple[tuple[str, str], ...]

    def side(self, keep: str) -> str:
        """The old text (keep="-") or the new text (keep="+") of this span."""
        return _side(self.segments, keep)

    def is_change(self) -> bool:
        """Whether any segment is an insertion or deletion."""
        return any(op != EQUAL for op, _ in self.segments)


def _pieces(chunks: list[_Chunk], old_pos: int, new_pos: int, old: str, new: str) -> list[_Piece]:
    """Chunks as pieces with absolute offsets; changes are cut into lines to spot whole ones."""
    pieces: list[_Piece] = []
    for chunk in chunks:
        if isinstance(chunk, str):
            pieces.append(_Piece(EQUAL, chunk, old_pos, new_pos))
            old_pos, new_pos = old_pos + len(chunk), new_pos + len(chunk)
            continue
        deleted = _cut_lines(chunk.deleted, old_pos, old)
        inserted = _cut_lines(chunk.inserted, new_pos, new)
        # Order partial first lines, whole lines, partial last lines, each old before new: both sides
        # keep their own order, and a changed line's two halves end up next to each other.
        for part in range(3):
            for piece_text, whole in deleted[part]:
                pieces.append(_Piece(DELETE, piece_text, old_pos, new_pos, whole))
                old_pos += len(piece_text)
            for piece_text, whole in inserted[part]:
                pieces.append(_Piece(INSERT, piece_text, old_pos, new_pos, whole))
                new_pos += len(piece_text)
    return pieces


def _cut_lines(text: str, pos: int, full_text: str) -> tuple[list[tuple[str, bool]], ...]:
    """text (at pos in full_text) as (partial head, whole lines, partial tail) of (line, whole) pairs."""
    head: list[tuple[str, bool]] = []
    whole: list[tuple[str, bool]] = []
    tail: list[tuple[str, bool]] = []
    for line in _LINE.findall(text):
        at_line_start = pos == 0 or full_text[pos - 1] == "\n"
        if at_line_start and line.endswith("\n"):
            whole.append((line, True))
        elif not whole and not head:
            head.append((line, False))
        else:
            tail.append((line, False))
        pos += len(line)
    return head, whole, tail


def _spans(pieces: list[_Piece], old: str, new: str) -> Iterator[_Span]:
    """Hunks of one block: whole-line runs on their own, other edits widened to sentences and merged."""
    units = list(_units(pieces))
    i = 0
    while i < len(units):
        whole_line, start, end = units[i]
        if whole_line:
            yield from _line_run_spans(pieces[start:end])
            i += 1
            continue
        left = _left_reach(pieces, start, old, new)
        right = _right_reach(pieces, end, old, new)
        while i + 1 < len(units) and _joins(units[i + 1], end, right, pieces, old, new):
            i += 1
            end = units[i][2]
            right = _right_reach(pieces, end, old, new)
        yield _word_span(pieces, start, end, left, right)
        i += 1


def _units(pieces: list[_Piece]) -> Iterator[tuple[bool, int, int]]:
    """Maximal runs of changed pieces of one kind, as (whole_line, start index, end index)."""
    start = 0
    while start < len(pieces):
        if pieces[start].op == EQUAL:
            start += 1
            continue
        kind = pieces[start].whole_line
        end = start + 1
        while end < len(pieces) and pieces[end].op != EQUAL and pieces[end].whole_line == kind:
            end += 1
        yield kind, start, end
        start = end


def _joins(unit: tuple[bool, int, int], end: int, right: int, pieces: list[_Piece], old: str,
           new: str) -> bool:
    """Whether a word unit starts in, or right after, the sentence(s) the current hunk already covers."""
    whole_line, start, _ = unit
    if whole_line or start != end + 1:  # only one unchanged piece may lie between them
        return False
    between = pieces[end].text
    left = _left_reach(pieces, start, old, new)
    gap = between[right:len(between) - left]
    return right + left >= len(between) or (gap.isspace() and "\n" not in gap)


def _left_reach(pieces: list[_Piece], start: int, old: str, new: str) -> int:
    """How many unchanged characters before pieces[start] belong to its sentence."""
    if start == 0 or pieces[start - 1].op != EQUAL:
        return 0
    old_pos, new_pos = pieces[start].old_pos, pieces[start].new_pos
    limit = len(pieces[start - 1].text)
    for at in reversed(_break_candidates(old, old_pos - limit + 1, old_pos)):
        if _is_break(old, at) and _is_break(new, new_pos - old_pos + at):
            return old_pos - at
    return limit


def _right_reach(pieces: list[_Piece], end: int, old: str, new: str) -> int:
    """How many unchanged characters after pieces[end - 1] belong to its sentence."""
    if end >= len(pieces) or pieces[end].op != EQUAL:
        return 0
    old_pos, new_pos = pieces[end].old_pos, pieces[end].new_pos
    limit = len(pieces[end].text)
    for at in _break_candidates(old, old_pos, old_pos + limit - 1):
        if _is_break(old, at) and _is_break(new, new_pos - old_pos + at):
            return at - old_pos
    return limit


def _break_candidates(text: str, low: int, high: int) -> list[int]:
    """Sorted positions in [low, high] that may be sentence breaks: every break is among them.

    Calling _is_break on every position costs seconds on large rewrites; a regex finds the few
    places worth asking about. Near the ends, where a break can depend on characters outside the
    range (an edit, which differs between the texts), every position is a candidate.
    """
    found = {*range(low, min(low + 4, high + 1)), *range(max(low, high - 3), high + 1)}
    for match in _BREAK_CANDIDATE.finditer(text, low, high + 1):
        found.update((match.start(), match.end(), match.end("stop")))
    return sorted(at for at in found if low <= at <= high)


def _is_break(text: str, pos: int) -> bool:
    """Whether pos is a sentence boundary: a line break, or the space after . ! ? ; (or a CJK stop)."""
    if pos <= 0 or pos >= len(text):
        return True
    before, after = text[pos - 1], text[pos]
    if before == "\n" or after == "\n" or before in _CJK_STOPS:
        return True
    if after.isspace():
        return _ends_sentence(text, pos)
    if before.isspace():
        start = pos - 1
        while start > 0 and text[start - 1] in " \t":
            start -= 1
        return _ends_sentence(text, start)
    return False


def _ends_sentence(text: str, end: int) -> bool:
    """Whether text[:end] ends with a sentence stop, possibly followed by closing quotes or brackets."""
    i = end - 1
    while i >= 0 and text[i] in _CLOSERS and end - i < 4:
        i -= 1
    return i >= 0 and text[i] in _STOPS + _CJK_STOPS


def _word_span(pieces: list[_Piece], start: int, end: int, left: int, right: int) -> _Span:
    """The span of pieces[start:end] widened by left/right unchanged characters."""
    segments = [(piece.op, piece.text) for piece in pieces[start:end]]
    if left:
        segments.insert(0, (EQUAL, pieces[start - 1].text[-left:]))
    if right:
        segments.append((EQUAL, pieces[end].text[:right]))
    return _Span(pieces[start].old_pos - left, pieces[start].new_pos - left, _merged(segments))


def _line_run_spans(run: list[_Piece]) -> Iterator[_Span]:
    """Whole inserted/deleted lines (with their line breaks) as one span, or one per section if long."""
    groups: list[list[_Piece]] = [[]]
    for piece in run:
        if groups[-1] and len(run) > _MAX_RUN_LINES and _HEADING.match(piece.text):
            groups.append([])
        groups[-1].append(piece)
    for group in groups:
        yield _Span(group[0].old_pos, group[0].new_pos, _merged((piece.op, piece.text) for piece in group))


def _merged(segments: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Adjacent segments of the same op joined, empty ones dropped."""
    out: list[tuple[str, str]] = []
    for op, text in segments:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return tuple(out)


def _side(segments: Iterable[tuple[str, str]], keep: str) -> str:
    """The old text (keep="-") or the new text (keep="+") of these segments."""
    return "".join(text for op, text in segments if op in (EQUAL, keep))
