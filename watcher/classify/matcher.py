"""Regex matchers with a cheap literal pre-check (_Matcher), and compiling the taxonomy's patterns into them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from watcher.errors import ConfigError


@dataclass(frozen=True)
class _Matcher:
    """A case-insensitive regex with a cheap pre-check: a literal its every match starts with.

    Python's re cannot skip ahead in a pattern that opens with \\b or ignores case, so a vocabulary of
    hundreds of patterns would scan each passage hundreds of times; a substring test rules most out.
    """

    pattern: re.Pattern[str]
    prefixes: tuple[str, ...] | None  # lower-case; None: no pre-check possible

    @classmethod
    def of(cls, sources: Sequence[str], where: str) -> _Matcher:
        """A matcher for any of the regex sources."""
        found = [_required_prefixes(source) for source in sources]
        pattern = _compile("|".join(f"(?:{source})" for source in sources), where)
        prefixes = None if not found or None in found else tuple(p for f in found if f for p in f)
        return cls(pattern, prefixes)

    def could_match(self, lowered: str) -> bool:
        """False when the pre-check rules a match out (lowered: the text in lower case)."""
        return self.prefixes is None or any(prefix in lowered for prefix in self.prefixes)

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """The first match, like re.Pattern.search."""
        if not self.could_match(text.lower() if lowered is None else lowered):
            return None
        return self.pattern.search(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Every match, like re.Pattern.finditer."""
        return self.pattern.finditer(text) if self.could_match(text.lower()) else iter(())

    def sub(self, replacement: str, text: str) -> str:
        """Every match replaced, like re.Pattern.sub."""
        return self.pattern.sub(replacement, text) if self.could_match(text.lower()) else text


_Labelled = tuple[tuple[str, _Matcher], ...]
_LITERAL_CHAR = re.compile(r"[A-Za-z0-9 &'/,:-]")
_LITERAL_RUN = re.compile(r"[A-Za-z0-9 &'/,:-]+")


def _required_prefixes(source: str) -> tuple[str, ...] | None:
    """Literals (lower case) one of which occurs in every match of the regex source; None if unknown.

    Read at the top level of the regex: a run of literal characters ("threshold"), a group of literal
    alternatives ("(pause|halt)"), a class of literal characters ("[<≤]"); top-level alternatives join.
    """
    if _has_top_level_alternation(source):
        found = [_required_prefixes(part) for part in _top_level_parts(source)]
        return None if any(f is None for f in found) else tuple(p for f in found if f for p in f)
    for wrapper in ("(?-i:", "(?i:", "(?:"):
        if source.startswith(wrapper) and _closing_paren(source, 0) == len(source) - 1:
            return _required_prefixes(source[len(wrapper):-1])
    best: tuple[str, ...] | None = None
    for literals in _required_items(source):
        if best is None or min(map(len, literals)) > min(map(len, best)):
            best = literals
    return best


def _required_items(source: str) -> Iterator[tuple[str, ...]]:
    """Top-level pieces of a regex that every match contains, as alternatives of literal text."""
    run, index = "", 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            end, literals = index + 2, None
        elif char == "(":
            end = _closing_paren(source, index) + 1
            inner = source[index + 1:end - 1]
            literals = tuple(inner.split("|")) if not inner.startswith("?") else None
        elif char == "[":
            end = source.find("]", index + 1) + 1
            inner = source[index + 1:end - 1]
            literals = tuple(inner) if inner and not set(inner) & set("\\^-") else None
        else:
            end, literals = index + 1, (char,)
        if end <= index:
            return  # unbalanced: give up on the rest
        required = source[end:end + 1] not in ("?", "*", "{")
        if required and literals is not None and len(literals) == 1 and _LITERAL_CHAR.fullmatch(literals[0]):
            run += literals[0]
        else:
            if len(run) >= 3:
                yield (run.lower(),)
            run = ""
            if required and literals is not None and len(literals) > 1 and (
                    all(len(a) >= 2 and _LITERAL_RUN.fullmatch(a) for a in literals)  # (pause|halt)
                    or all(len(a) == 1 for a in literals)):  # [<≤]
                yield tuple(a.lower() for a in literals)
        index = end
        while index < len(source) and source[index] in "?*+":  # skip the quantifier
            index += 1
        if index < len(source) and source[index] == "{":
            index = source.find("}", index) + 1 or len(source)
    if len(run) >= 3:
        yield (run.lower(),)


def _structure(source: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, char, group depth after it) for each character of a regex source outside escapes and classes."""
    depth, escaped, in_class = 0, False, False
    for index in range(start, len(source)):
        char = source[index]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        else:
            depth += (char == "(") - (char == ")")
            yield index, char, depth


def _top_level_parts(source: str) -> list[str]:
    """The source split at its top-level | characters."""
    parts, start = [], 0
    for index, char, depth in _structure(source):
        if char == "|" and depth == 0:
            parts.append(source[start:index])
            start = index + 1
    return [*parts, source[start:]]


def _has_top_level_alternation(source: str) -> bool:
    """Whether the regex source has a | outside any group or character class."""
    return len(_top_level_parts(source)) > 1


def _closing_paren(source: str, opening: int) -> int:
    """Index of the parenthesis closing the one at opening (-1 if none)."""
    for index, char, depth in _structure(source, opening):
        if char == ")" and depth == 0:
            return index
    return -1


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    """A case-insensitive regex, or ConfigError naming where it came from."""
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as e:
        raise ConfigError(f"{where}: invalid regex {pattern!r}: {e}") from e


def _any_of(patterns: Sequence[str], where: str) -> _Matcher:
    """One case-insensitive matcher for any of the patterns."""
    return _Matcher.of(patterns, where)


def _labelled(table: Mapping[str, Sequence[str]], where: str) -> _Labelled:
    """label = [patterns] tables as (label, combined regex) pairs."""
    return tuple((label, _any_of(patterns, f"{where}.{label}")) for label, patterns in table.items())


def _mentioned(family: _Labelled, *texts: str) -> bool:
    """Whether any matcher of the family could match any of the texts (the cheap pre-check only)."""
    lowered = [text.lower() for text in texts]
    return any(matcher.could_match(low) for _, matcher in family for low in lowered)
