"""Bounded diffs of code strings, shared by the line pass and the word pass.

Items (lines or tokens) are one character each. _planned cuts the two strings at unique common
anchors (patience diff) and leaves Myers only stretches whose cost is bounded; _resolved runs Myers
on the stretches of one pass within the pass's budget, and deletes and re-inserts the rest.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, groupby
from operator import add, eq

from diff_match_patch import diff_match_patch

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
