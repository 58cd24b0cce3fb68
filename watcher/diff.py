"""Word-level diffs between two versions of a normalized document, grouped into sentence-sized hunks.

Pure: no I/O. The pipeline, for two texts of one block per line:

    1. line diff (diff-match-patch on lines mapped to characters) finds the changed blocks fast;
    2. each block with both old and new lines gets a word diff: words, spaces and punctuation are
       tokens (CJK and Thai-like scripts: one token per character), all whitespace counts as one
       token so a reflowed paragraph only shows its moved line breaks;
    3. wholly inserted or deleted lines become hunks of their own (long runs split at headings);
       every other edit is widened to its enclosing sentence(s), and edits whose sentences overlap or
       touch share a hunk.

Sentences end at a line break, at . ! ? ; followed by whitespace (closing quotes or brackets may
come between), and after the CJK stops 。！？ (spaces are optional there). A hunk's old_text and
new_text are exact substrings at old_start/new_start, and replacing every old_text by its new_text
turns old into new, except that a missing final newline is not reported as a change.

The hunks depend on the two texts alone, never on the machine's speed or load: no step has a time
limit, and the work is bounded by the size of what is left to align instead (see _MYERS_CELLS).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, groupby
from operator import add, eq
from typing import Any

from diff_match_patch import diff_match_patch

EQUAL, DELETE, INSERT = "=", "-", "+"
_OPS = (EQUAL, DELETE, INSERT)

# The output must depend on the texts alone: users cite hunks as evidence and evaluations are rerun,
# so nothing may stop on a clock (diff-match-patch runs with Diff_Timeout = 0); work is bounded by
# size instead. Myers' algorithm (dmp's diff_bisect) is the only step whose cost grows faster than the
# text: up to ~1.3 us per cell of its edit graph, len(old) * len(new), when the sides have little in
# common, and at most about a quarter of that per unit of (len(old) + len(new)) * edits (measured on
# 1000 x 1000 codes). So _planned leaves it only stretches whose cost is bounded:
#   - both passes first cut at items (lines, tokens) found once in each side and in the same order,
#     as patience diff does, and strip common prefixes and suffixes: ordinary revisions, even
#     thousands of edited paragraphs in 1 MB, leave stretches of a few lines or words;
#   - a stretch of more than _MYERS_CELLS cells is cut again at items unique within it, up to
#     _ANCHOR_DEPTH times, or, where no item is unique (table cells, short repeated lines), at runs
#     of _RUN_ANCHOR_WIDTHS items that are;
#   - the stretches of one pass together may cost _PASS_CELLS. When they would cost more (wholesale
#     rewrites), Myers runs on every stretch up to the largest cost whose stretches all fit, cheapest
#     first, and the others are deleted and re-inserted, the honest answer for rewritten text. One
#     threshold for the whole text: an early rewrite does not coarsen a later edit.
# 32 x 32 tokens per stretch keeps paragraphs on the anchored path, so revising 60% of the lines of
# 1.5 MB costs ~0.3 M cells, within the pass limit; 0.4 M cells are ~0.5 s of Myers per pass at worst.
_MYERS_CELLS = 1_024
_PASS_CELLS = 400_000
_ANCHOR_DEPTH = 4
_RUN_ANCHOR_WIDTHS = (4, 16)
_RUN_ANCHOR_ITEMS = 20_000  # runs are sought only in stretches up to this long (they cost width x length)

_MAX_RUN_LINES = 20  # a longer run of inserted/deleted lines is split at its headings
_HEADING = re.compile(r"#+ ")

# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, kana, CJK ideographs,
# halfwidth katakana, and the supplementary ideograph planes.
_NO_SPACE = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
             "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f")
_TOKEN = re.compile(rf"[{_NO_SPACE}]|[^\W{_NO_SPACE}]+|\n|[^\S\n]+|.", re.DOTALL)
_SPACED_WORD_CHAR = re.compile(rf"[^\W{_NO_SPACE}]")

_STOPS = ".!?;"
_CJK_STOPS = "。！？"
_CLOSERS = "\"')]}»”’」』）"
_BREAK_CANDIDATE = re.compile(
    rf"\n|(?P<stop>[{re.escape(_STOPS)}{_CJK_STOPS}][{re.escape(_CLOSERS)}]*)[^\S\n]*")
_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_WHITESPACE = re.compile(r"\s")


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


def compare(old: str, new: str, *, context_chars: int = 200) -> TextDiff:
    """Diff two texts into sentence-sized hunks with word-level segments."""
    if context_chars < 0:
        raise ValueError("context_chars must be >= 0")
    if old == new:
        return TextDiff((), 0, 0)
    # A missing final newline would make the last line differ from the same line followed by more.
    padded_old, padded_new = _with_final_newline(old), _with_final_newline(new)
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0  # no clock: _planned bounds Myers by size (this also disables half-match)
    blocks = list(_changed_blocks(dmp, padded_old, padded_new))
    spans: list[_Span] = []
    for block, chunks in zip(blocks, _blocks_chunks(dmp, blocks), strict=True):
        pieces = _pieces(chunks, block.old_start, block.new_start, padded_old, padded_new)
        spans.extend(_spans(pieces, padded_old, padded_new))
    spans = [span for span in _unpadded(spans, len(old), len(new)) if span.is_change()]
    hunks = tuple(_hunks(spans, old, new, context_chars))
    added = sum(len(text) for hunk in hunks for op, text in hunk.segments if op == INSERT)
    removed = sum(len(text) for hunk in hunks for op, text in hunk.segments if op == DELETE)
    return TextDiff(hunks, added, removed)


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


# --- rendering ---------------------------------------------------------------------------------

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


# --- pass 1: changed blocks of lines -----------------------------------------------------------

@dataclass(frozen=True)
class _Block:
    """A run of changed lines: old_text was replaced by new_text (either may be empty)."""

    old_start: int
    new_start: int
    old_text: str
    new_text: str


def _with_final_newline(text: str) -> str:
    """text ending in a newline (empty stays empty)."""
    return text if not text or text.endswith("\n") else text + "\n"


def _changed_blocks(dmp: diff_match_patch, old: str, new: str) -> Iterator[_Block]:
    """Runs of changed lines, found by diffing lines mapped to single characters."""
    old_codes, new_codes, line_array = dmp.diff_linesToChars(old, new)
    # Lines found once in each text are always matched first (patience diff), however small the texts.
    plan = _planned_between(dmp, old_codes, new_codes, _unique_common_anchors(old_codes, new_codes), 1, 1)
    [diffs] = _resolved(dmp, [plan])
    dmp.diff_charsToLines(diffs, line_array)
    old_pos = new_pos = 0
    deleted: list[str] = []
    inserted: list[str] = []
    for op, text in diffs:
        if op == dmp.DIFF_EQUAL:
            if deleted or inserted:
                yield _block_ending_at(old_pos, new_pos, deleted, inserted)
                deleted, inserted = [], []
        elif op == dmp.DIFF_DELETE:
            deleted.append(text)
        else:
            inserted.append(text)
        old_pos += len(text) if op != dmp.DIFF_INSERT else 0
        new_pos += len(text) if op != dmp.DIFF_DELETE else 0
    if deleted or inserted:
        yield _block_ending_at(old_pos, new_pos, deleted, inserted)


# --- bounded diffs of code strings (both passes) -----------------------------------------------

@dataclass(frozen=True)
class _Stretch:
    """Two code strings left for Myers, which runs on them if the pass's budget allows."""

    old: str
    new: str
    cost: int  # a bound on Myers' work, in cells of its edit graph (see _MYERS_CELLS)


_Plan = list[tuple[int, str] | _Stretch]  # dmp diffs, with stretches still to diff


def _planned(dmp: diff_match_patch, old: str, new: str, depth: int) -> _Plan:
    """The diff of old and new, with each stretch small enough for Myers left as a _Stretch.

    Common prefix and suffix come off first; a larger stretch is cut at items unique within it
    (up to _ANCHOR_DEPTH times), and what still cannot be cut is left to _resolved with its cost.
    """
    head = dmp.diff_commonPrefix(old, new)
    tail = dmp.diff_commonSuffix(old[head:], new[head:])
    old_mid, new_mid = old[head:len(old) - tail], new[head:len(new) - tail]
    # No empty entries: dmp's cleanups treat an empty equality as one, which would make the result
    # depend on how the plan was cut rather than on the texts.
    plan: _Plan = [(dmp.DIFF_EQUAL, old[:head])] if head else []
    if not old_mid or not new_mid or set(old_mid).isdisjoint(new_mid):
        plan += [(op, text) for op, text in ((dmp.DIFF_DELETE, old_mid), (dmp.DIFF_INSERT, new_mid)) if text]
    elif len(old_mid) * len(new_mid) <= _MYERS_CELLS:
        plan.append(_Stretch(old_mid, new_mid, len(old_mid) * len(new_mid)))
    elif depth < _ANCHOR_DEPTH and (found := _anchors(old_mid, new_mid)):
        plan += _planned_between(dmp, old_mid, new_mid, *found, depth + 1)
    else:
        # Nothing unique left to cut at (repeated lines or words), but few edits may still make
        # Myers cheap: the pass's budget decides, and what it cannot afford is deleted and re-inserted.
        plan.append(_Stretch(old_mid, new_mid, _myers_cost(old_mid, new_mid)))
    if tail:
        plan.append((dmp.DIFF_EQUAL, old[len(old) - tail:]))
    return plan


def _planned_between(dmp: diff_match_patch, old: str, new: str, anchors: list[tuple[int, int]],
                     width: int, depth: int) -> _Plan:
    """The diff of old and new matched at anchors (where width equal items start), the gaps planned.

    Myers' time grows with the square of the number of edits (about a second for 800 changed lines
    in pure Python); anchoring on unique common items first, as patience diff does, leaves it only
    the short stretches between anchors.
    """
    plan: _Plan = []
    old_from = new_from = 0
    for old_at, new_at in anchors:
        old_gap, new_gap = old[old_from:old_at], new[new_from:new_at]
        if old_gap == new_gap:  # often: the space between two unique words
            plan.append((dmp.DIFF_EQUAL, old_gap + old[old_at:old_at + width]))
        else:
            plan += _planned(dmp, old_gap, new_gap, depth)
            plan.append((dmp.DIFF_EQUAL, old[old_at:old_at + width]))
        old_from, new_from = old_at + width, new_at + width
    plan += _planned(dmp, old[old_from:], new[new_from:], depth)
    return plan


def _resolved(dmp: diff_match_patch, plans: list[_Plan]) -> list[list[tuple[int, str]]]:
    """The plans of one pass as dmp diffs: Myers on every stretch up to the pass's size limit."""
    limit = _affordable_cells(sorted(part.cost for plan in plans for part in plan
                                     if isinstance(part, _Stretch)))
    resolved = []
    for plan in plans:
        diffs: list[tuple[int, str]] = []
        for part in plan:
            if not isinstance(part, _Stretch):
                diffs.append(part)
            elif part.cost <= limit:
                diffs += dmp.diff_main(part.old, part.new, False)
            else:
                diffs += [(dmp.DIFF_DELETE, part.old), (dmp.DIFF_INSERT, part.new)]
        dmp.diff_cleanupMerge(diffs)  # joins the pieces; drops empty entries
        resolved.append(diffs)
    return resolved


def _affordable_cells(costs: list[int]) -> int:
    """The largest cost such that all stretches up to it (costs sorted) fit in _PASS_CELLS together."""
    limit = total = 0
    for cost, same in groupby(costs):
        total += cost * sum(1 for _ in same)
        if total > _PASS_CELLS:
            break
        limit = cost
    return limit


def _myers_cost(old: str, new: str) -> int:
    """A bound on Myers' work for old and new, in cells: the edit graph, or less if few edits.

    Myers' work is also bounded by (len(old) + len(new)) * edits, at about a quarter of a cell's
    worst cost per unit (measured); any common subsequence bounds the edits. Matching items at the
    same distance from the start up to some point, and from the end after it, finds one in C loops:
    all of it when items were only replaced, or when the edits leave one shift between the sides.
    """
    shorter, longer = (old, new) if len(old) <= len(new) else (new, old)
    from_start = accumulate(map(eq, shorter, longer), initial=0)  # [k]: matches among the first k items
    from_end = list(accumulate(map(eq, reversed(shorter), reversed(longer)), initial=0))
    common = max(map(add, from_start, reversed(from_end)))
    edits = len(old) + len(new) - 2 * common
    return min(len(old) * len(new), (len(old) + len(new)) * edits // 4)


def _anchors(old: str, new: str) -> tuple[list[tuple[int, int]], int] | None:
    """Anchors and their width: items unique in both sides; else, where items repeat (short lines,
    table cells), runs of items unique in both, if they cover half the shorter side (a rewrite
    shares a few runs by chance: cutting there would only add noise)."""
    anchors = _unique_common_anchors(old, new)
    if anchors:
        return anchors, 1
    if max(len(old), len(new)) <= _RUN_ANCHOR_ITEMS:
        for width in _RUN_ANCHOR_WIDTHS:
            anchors = _unique_common_anchors(old, new, width)
            if 2 * width * len(anchors) >= min(len(old), len(new)):
                return anchors, width
    return None


def _unique_common_anchors(old_codes: str, new_codes: str, width: int = 1) -> list[tuple[int, int]]:
    """(old index, new index) where items (lines or tokens), or runs of width items, found once in
    each side start: the longest series in the same order, without overlaps."""
    old_items: Sequence[str] = old_codes
    new_items: Sequence[str] = new_codes
    if width > 1:
        old_items = [old_codes[i:i + width] for i in range(len(old_codes) - width + 1)]
        new_items = [new_codes[i:i + width] for i in range(len(new_codes) - width + 1)]
    old_once, new_once = _unique_positions(old_items), _unique_positions(new_items)
    pairs = sorted((old_at, new_once[item]) for item, old_at in old_once.items() if item in new_once)
    anchors: list[tuple[int, int]] = []
    for old_at, new_at in _longest_increasing_run(pairs):
        if not anchors or (old_at >= anchors[-1][0] + width and new_at >= anchors[-1][1] + width):
            anchors.append((old_at, new_at))
    return anchors


def _unique_positions(items: Sequence[str]) -> dict[str, int]:
    """Where each item that occurs exactly once sits."""
    counts = Counter(items)
    last_at = dict(zip(items, range(len(items))))  # C loops: this runs on every stretch Myers skips
    return {item: last_at[item] for item, count in counts.items() if count == 1}


def _longest_increasing_run(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of pairs (sorted by first item) whose second items increase."""
    tail_values: list[int] = []  # tail_values[k]: smallest last second item of a run of length k + 1
    tail_indexes: list[int] = []
    previous = [-1] * len(pairs)
    for index, (_, value) in enumerate(pairs):
        length = bisect_left(tail_values, value)
        previous[index] = tail_indexes[length - 1] if length else -1
        if length == len(tail_values):
            tail_values.append(value)
            tail_indexes.append(index)
        else:
            tail_values[length] = value
            tail_indexes[length] = index
    run = []
    index = tail_indexes[-1] if tail_indexes else -1
    while index >= 0:
        run.append(pairs[index])
        index = previous[index]
    return run[::-1]


def _block_ending_at(old_end: int, new_end: int, deleted: list[str], inserted: list[str]) -> _Block:
    """The block whose deleted and inserted lines end at these offsets."""
    old_text, new_text = "".join(deleted), "".join(inserted)
    return _Block(old_end - len(old_text), new_end - len(new_text), old_text, new_text)


# --- pass 2: word diff inside a block ----------------------------------------------------------

@dataclass(frozen=True)
class _Change:
    """Text replaced between two unchanged stretches (deleted and/or inserted)."""

    deleted: str
    inserted: str


_Chunk = str | _Change  # a str is unchanged text


@dataclass(frozen=True)
class _WordPlan:
    """A block's word diff before Myers: its tokens (or None to diff characters) and the plan."""

    old_tokens: list[str] | None
    new_tokens: list[str] | None
    plan: _Plan


def _blocks_chunks(dmp: diff_match_patch, blocks: list[_Block]) -> list[list[_Chunk]]:
    """Each block as alternating unchanged text and changes, aligned on words; one budget for all."""
    word_plans = {i: _word_plan(dmp, block) for i, block in enumerate(blocks)
                  if block.old_text and block.new_text}
    resolved = dict(zip(word_plans, _resolved(dmp, [p.plan for p in word_plans.values()]), strict=True))
    return [_block_chunks(dmp, word_plans[i], resolved[i]) if i in word_plans
            else [_Change(block.old_text, block.new_text)] for i, block in enumerate(blocks)]


def _word_plan(dmp: diff_match_patch, block: _Block) -> _WordPlan:
    """The plan of a block's word diff: tokens (CJK: characters) as one code each."""
    old_tokens, new_tokens = _TOKEN.findall(block.old_text), _TOKEN.findall(block.new_text)
    encoded = _encode_tokens(old_tokens, new_tokens)
    if encoded is None:  # more distinct tokens than code points: diff characters instead
        return _WordPlan(None, None, _planned(dmp, block.old_text, block.new_text, 0))
    return _WordPlan(old_tokens, new_tokens, _planned(dmp, *encoded, 0))


def _block_chunks(dmp: diff_match_patch, word_plan: _WordPlan, diffs: list[tuple[int, str]]) -> list[_Chunk]:
    """A block's resolved word diff as chunks, cleaned up to read as phrases."""
    # Semantic cleanup on tokens: a lone shared word or space between two edits joins the edit, so
    # "the quick brown" -> "a slow red" reads as one phrase replaced, not three words.
    dmp.diff_cleanupSemantic(diffs)
    if word_plan.old_tokens is None or word_plan.new_tokens is None:
        return _normalized(_chunks_from_text_diffs(dmp, diffs))
    chunks = _normalized(_decode_tokens(dmp, diffs, word_plan.old_tokens, word_plan.new_tokens))
    return _realigned_line_breaks(_normalized(_factored_common_tokens(chunks)))


def _encode_tokens(old_tokens: list[str], new_tokens: list[str]) -> tuple[str, str] | None:
    """Each distinct token as one character (all whitespace as the same one), like diff_linesToChars."""
    distinct = dict.fromkeys(old_tokens)  # in order of first appearance
    distinct.update(dict.fromkeys(new_tokens))
    if len(distinct) > 0x10FFFF - 2:
        return None
    # "\x00" is skipped as dmp does; "\x01" is every whitespace token.
    codes = {token: "\x01" if token.isspace() else chr(i + 2) for i, token in enumerate(distinct)}
    return "".join(map(codes.__getitem__, old_tokens)), "".join(map(codes.__getitem__, new_tokens))


def _decode_tokens(dmp: diff_match_patch, diffs: list[tuple[int, str]], old_tokens: list[str],
                   new_tokens: list[str]) -> Iterator[_Chunk]:
    """Token-code diffs back to text; "equal" whitespace that differs (space vs line break) is a change."""
    old_i = new_i = 0
    for op, codes in diffs:
        count = len(codes)
        if op == dmp.DIFF_DELETE:
            yield _Change("".join(old_tokens[old_i:old_i + count]), "")
            old_i += count
        elif op == dmp.DIFF_INSERT:
            yield _Change("", "".join(new_tokens[new_i:new_i + count]))
            new_i += count
        else:
            yield from _equal_tokens(old_tokens[old_i:old_i + count], new_tokens[new_i:new_i + count])
            old_i += count
            new_i += count


def _equal_tokens(old_tokens: list[str], new_tokens: list[str]) -> Iterator[_Chunk]:
    """Tokens that matched; only whitespace can differ here, and such a difference is a change."""
    old_text = "".join(old_tokens)
    if old_text == "".join(new_tokens):
        yield old_text
        return
    same: list[str] = []
    for old_token, new_token in zip(old_tokens, new_tokens, strict=True):
        if old_token == new_token:
            same.append(old_token)
            continue
        yield "".join(same)
        same = []
        yield _Change(old_token, new_token)
    yield "".join(same)


def _chunks_from_text_diffs(dmp: diff_match_patch, diffs: list[tuple[int, str]]) -> Iterator[_Chunk]:
    """Plain dmp diffs as chunks."""
    for op, text in diffs:
        if op == dmp.DIFF_EQUAL:
            yield text
        else:
            yield _Change(text if op == dmp.DIFF_DELETE else "", text if op == dmp.DIFF_INSERT else "")


def _normalized(chunks: Iterable[_Chunk]) -> list[_Chunk]:
    """Adjacent unchanged texts joined, adjacent changes joined, empty ones dropped."""
    out: list[_Chunk] = []
    for chunk in chunks:
        if not chunk or (isinstance(chunk, _Change) and not chunk.deleted and not chunk.inserted):
            continue
        if out and isinstance(chunk, str) and isinstance(out[-1], str):
            out[-1] += chunk
        elif out and isinstance(chunk, _Change) and isinstance(out[-1], _Change):
            out[-1] = _Change(out[-1].deleted + chunk.deleted, out[-1].inserted + chunk.inserted)
        else:
            out.append(chunk)
    return out


def _factored_common_tokens(chunks: list[_Chunk]) -> Iterator[_Chunk]:
    """Move whole tokens common to both sides of a change out of it.

    Whitespace matched as "equal" can pair a line break with a space next to an insertion
    ("a.\\n" -> "a. b.\\n" gives -"\\n" +" b.\\n"); factoring the shared "\\n" gives +" b." instead.
    """
    for chunk in chunks:
        if isinstance(chunk, str) or not chunk.deleted or not chunk.inserted:
            yield chunk
            continue
        deleted, inserted = _TOKEN.findall(chunk.deleted), _TOKEN.findall(chunk.inserted)
        head = _common_prefix_length(deleted, inserted)
        tail = _common_prefix_length(deleted[head:][::-1], inserted[head:][::-1])
        yield "".join(deleted[:head])
        yield _Change("".join(deleted[head:len(deleted) - tail]),
                      "".join(inserted[head:len(inserted) - tail]))
        yield "".join(deleted[len(deleted) - tail:])


def _common_prefix_length(a: list[str], b: list[str]) -> int:
    """How many leading items a and b share."""
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _realigned_line_breaks(chunks: list[_Chunk]) -> list[_Chunk]:
    r"""Pair a changed line with the first line of its replacement, so lines added after it stand alone.

    Stripping common suffixes turns "a b.\n" -> "a c.\nNew line.\n" into -"b" +"c.\nNew line" =".\n":
    the old line's ending is matched with the last new line. Rotating that ending to the first new
    line gives -"b" +"c" =".\n" +"New line.\n", where the new line is a whole inserted line.
    """
    chunks = list(chunks)  # the loop shortens the unchanged text that follows a rotated change
    out: list[_Chunk] = []
    for i, chunk in enumerate(chunks):
        following = chunks[i + 1] if i + 1 < len(chunks) else ""
        if isinstance(chunk, _Change) and isinstance(following, str):
            rotated = _rotated_to_first_line(chunk, following)
            if rotated is not None:
                first, line_end, rest = rotated
                out += [first, line_end, rest]
                chunks[i + 1] = following[len(line_end):]
                continue
        out.append(chunk)
    return _normalized(out)


def _rotated_to_first_line(change: _Change, following: str) -> tuple[_Change, str, _Change] | None:
    """(change on the first line, the unchanged line end, the rest) if the rotation applies, else None."""
    if "\n" not in following or ("\n" not in change.deleted and "\n" not in change.inserted):
        return None
    line_end = following[:following.index("\n") + 1]  # e.g. ".\n": where the first line should end
    deleted = _split_before_line_end(change.deleted, line_end[:-1])
    inserted = _split_before_line_end(change.inserted, line_end[:-1])
    if deleted is None or inserted is None:
        return None
    return _Change(deleted[0], inserted[0]), line_end, _Change(deleted[1], inserted[1])


def _split_before_line_end(text: str, ending: str) -> tuple[str, str] | None:
    r"""For "c.\nNew line" and ending ".": ("c", "New line.\n"), None if the first line lacks the ending.

    Text without a line break stays whole: (text, "").
    """
    if "\n" not in text:
        return text, ""
    first, rest = text.split("\n", 1)
    if not first.endswith(ending):
        return None
    return first[:len(first) - len(ending)], rest + ending + "\n"


# --- pass 3: pieces, then hunks ----------------------------------------------------------------

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


def _side(segments: Iterable[tuple[str, str]], keep: str) -> str:
    """The old text (keep="-") or the new text (keep="+") of these segments."""
    return "".join(text for op, text in segments if op in (EQUAL, keep))


def _without_last_char(segments: list[tuple[str, str]], side: str, other: str) -> list[tuple[str, str]]:
    """Remove the last character of one side; if it was unchanged text, the other side keeps it."""
    for i in range(len(segments) - 1, -1, -1):
        op, text = segments[i]
        if op == side:
            return [*segments[:i], (op, text[:-1]), *segments[i + 1:]]
        if op == EQUAL:
            return [*segments[:i], (EQUAL, text[:-1]), (other, text[-1]), *segments[i + 1:]]
    return segments


# --- finishing: line numbers and context -------------------------------------------------------

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
