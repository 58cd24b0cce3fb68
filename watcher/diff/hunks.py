"""Finishing: spans made exact for the caller's texts (the added final newline removed), then Hunks
with line numbers and the unchanged context around them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from watcher.diff.spans import _merged, _side, _Span
from watcher.diff.tokens import _SPACED_WORD_CHAR
from watcher.diff.values import DELETE, EQUAL, INSERT, Hunk

_WHITESPACE = re.compile(r"\s")


def _unpadded(spans: list[_Span], old_length: int, new_length: int) -> Iterator[_Span]:
    """The spans in the caller's texts: without the final newline _with_final_newline may have added."""
    old_pad = _Padding(old_length, DELETE, INSERT)
    new_pad = _Padding(new_length, INSERT, DELETE)
    for span in spans:
        old_start, new_start, segments = span.old_start, span.new_start, list(span.segments)
        old_start, new_start, segments = old_pad.before(old_start, new_start, segments)
        new_start, old_start, segments = new_pad.before(new_start, old_start, segments)
        segments = old_pad.after(old_start, segments)
        segments = new_pad.after(new_start, segments)
        yield _Span(old_start, new_start, _merged(segments))


class _Padding:
    """The newline added at the end of one side, and whether a span has accounted for it yet."""

    def __init__(self, length: int, side: str, other: str) -> None:
        self.length, self.side, self.other = length, side, other
        self.accounted = False

    def before(self, start: int, other_start: int,
               segments: list[tuple[str, str]]) -> tuple[int, int, list[tuple[str, str]]]:
        """Clamp a span that starts past the padding to the real end."""
        if start <= self.length:
            return start, other_start, segments
        if not self.accounted:
            # The padding was matched with a real line break on the other side, which is thus
            # inserted (or deleted) text: the first span past the end takes it over.
            self.accounted = True
            return self.length, other_start - 1, [(self.other, "\n"), *segments]
        return self.length, other_start, segments

    def after(self, start: int, segments: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Drop the padding from a span that reaches it."""
        if start + len(_side(segments, self.side)) <= self.length:
            return segments
        self.accounted = True
        return _without_last_char(segments, self.side, self.other)


def _without_last_char(segments: list[tuple[str, str]], side: str, other: str) -> list[tuple[str, str]]:
    """Remove the last character of one side; if it was unchanged text, the other side keeps it."""
    for i in range(len(segments) - 1, -1, -1):
        op, text = segments[i]
        if op == side:
            return [*segments[:i], (op, text[:-1]), *segments[i + 1:]]
        if op == EQUAL:
            return [*segments[:i], (EQUAL, text[:-1]), (other, text[-1]), *segments[i + 1:]]
    return segments


class _LineCounter:
    """1-based line numbers for offsets asked in increasing order, counting each stretch once."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._line = 1

    def line_at(self, pos: int) -> int:
        """The line number of offset pos."""
        if pos < self._pos:
            self._pos, self._line = 0, 1
        self._line += self._text.count("\n", self._pos, pos)
        self._pos = pos
        return self._line


def _hunks(spans: list[_Span], old: str, new: str, context_chars: int) -> Iterator[Hunk]:
    """Spans as Hunks, with line numbers and the unchanged text around them."""
    old_lines, new_lines = _LineCounter(old), _LineCounter(new)
    texts = [(span.side(DELETE), span.side(INSERT)) for span in spans]
    for i, (span, (old_text, new_text)) in enumerate(zip(spans, texts, strict=True)):
        # A pure deletion has nothing in the new text to stand next to: take its context from the old.
        use_old = not new_text
        text = old if use_old else new
        start = span.old_start if use_old else span.new_start
        stop = start + len(old_text if use_old else new_text)
        floor = _end_on_side(spans[i - 1], texts[i - 1], use_old) if i > 0 else 0
        ceiling = _start_on_side(spans[i + 1], use_old) if i + 1 < len(spans) else len(text)
        yield Hunk(
            old_text=old_text, new_text=new_text,
            old_start=span.old_start, new_start=span.new_start,
            old_line=old_lines.line_at(span.old_start), new_line=new_lines.line_at(span.new_start),
            context_before=_context_before(text, start, floor, context_chars),
            context_after=_context_after(text, stop, ceiling, context_chars),
            segments=span.segments,
        )


def _end_on_side(span: _Span, texts: tuple[str, str], use_old: bool) -> int:
    """Where span ends in the old (use_old) or new text."""
    return span.old_start + len(texts[0]) if use_old else span.new_start + len(texts[1])


def _start_on_side(span: _Span, use_old: bool) -> int:
    """Where span starts in the old (use_old) or new text."""
    return span.old_start if use_old else span.new_start


def _context_before(text: str, start: int, floor: int, size: int) -> str:
    """Up to size characters before start (not before floor), not beginning mid-word."""
    begin = max(floor, start - size)
    if begin > floor and _inside_word(text, begin):
        space = _WHITESPACE.search(text, begin, start)
        begin = space.end() if space else begin
    return text[begin:start]


def _context_after(text: str, stop: int, ceiling: int, size: int) -> str:
    """Up to size characters after stop (not past ceiling), not ending mid-word."""
    end = min(ceiling, stop + size)
    if end < ceiling and _inside_word(text, end):
        space = max(text.rfind(" ", stop, end), text.rfind("\n", stop, end))
        end = space if space >= 0 else end
    return text[stop:end]


def _inside_word(text: str, pos: int) -> bool:
    """Whether pos falls between two letters of a space-separated word."""
    return (0 < pos < len(text) and bool(_SPACED_WORD_CHAR.match(text[pos - 1]))
            and bool(_SPACED_WORD_CHAR.match(text[pos])))
