"""Terminal rendering of a TextDiff: colored or git-style markers, control characters escaped.
"""

from __future__ import annotations

from watcher.diff.values import DELETE, EQUAL, INSERT, TextDiff


def render_terminal(diff: TextDiff, *, color: bool) -> str:
    """Hunk by hunk: removed text red and struck through, added green; or git-style [-x-]{+y+} markers."""
    rendered = []
    for hunk in diff.hunks:
        header = f"@@ line {hunk.old_line} -> {hunk.new_line} @@"
        if color:
            header = f"{_ANSI_HEADER}{header}{_ANSI_RESET}"
        body = "".join(_render_segment(op, _visible(text), color) for op, text in hunk.segments)
        rendered.append(f"{header}\n{body.removesuffix(chr(10))}\n")  # whole-line hunks end in "\n"
    return "\n".join(rendered)


_ANSI = {DELETE: "\x1b[31;9m", INSERT: "\x1b[32m"}
_ANSI_HEADER, _ANSI_RESET = "\x1b[36m", "\x1b[0m"
_PLAIN = {DELETE: ("[-", "-]"), INSERT: ("{+", "+}")}
_LINE_BREAK_SIGN = "\u21b5"  # ↵
# Fetched documents are untrusted: never let their control characters reach the terminal.
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0)]}


def _visible(text: str) -> str:
    """Escape control characters (ESC and friends) so document text cannot drive the terminal."""
    return text.translate(_CONTROL)


def _render_segment(op: str, text: str, color: bool) -> str:
    """One segment with its markers, one marked stretch per line so pagers keep the colors."""
    if op == EQUAL:
        return text
    if text.isspace() and "\n" in text:
        # A line break added or removed (reflow) would be invisible: show it as a sign.
        marked = _mark(op, text.replace("\n", _LINE_BREAK_SIGN), color)
        return marked + "\n" if op == INSERT else marked
    return "\n".join(_mark(op, line, color) if line else "" for line in text.split("\n"))


def _mark(op: str, text: str, color: bool) -> str:
    """text wrapped in the color or the plain markers of op."""
    if color:
        return f"{_ANSI[op]}{text}{_ANSI_RESET}"
    opening, closing = _PLAIN[op]
    return f"{opening}{text}{closing}"
