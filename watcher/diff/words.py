"""Pass 2: the word diff inside each changed block, cleaned up to read as phrases.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

from watcher.diff.budget import _Plan, _planned, _resolved
from watcher.diff.lines import _Block
from watcher.diff.tokens import (
    _TOKEN,
    _Change,
    _Chunk,
    _chunks_from_text_diffs,
    _decode_tokens,
    _encode_tokens,
)


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
