"""Tokenising for the word pass: tokens as single-character codes, and code diffs back to text chunks.

Words, spaces and punctuation are tokens (scripts written without spaces: one token per
character); every whitespace token shares one code, so a reflowed paragraph only shows its moved
line breaks. A chunk is unchanged text (a str) or a _Change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, kana, CJK ideographs,
# halfwidth katakana, and the supplementary ideograph planes.
_NO_SPACE = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
             "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f")
_TOKEN = re.compile(rf"[{_NO_SPACE}]|[^\W{_NO_SPACE}]+|\n|[^\S\n]+|.", re.DOTALL)
_SPACED_WORD_CHAR = re.compile(rf"[^\W{_NO_SPACE}]")


@dataclass(frozen=True)
class _Change:
    """Text replaced between two unchanged stretches (deleted and/or inserted)."""

    deleted: str
    inserted: str


_Chunk = str | _Change  # a str is unchanged text


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
