"""The taxonomy: tag patterns (I-VIII, X) and the direction vocabulary (Signals), loaded from the data file.

The vocabulary is the packaged watcher/data/taxonomy.toml, read once through importlib.resources from
the top-level watcher package; user patterns (sources.toml [classify.taxonomy]) are added per tag.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from watcher.classify.matcher import _any_of, _compile, _Labelled, _labelled, _Matcher, _required_prefixes

_Patterns = tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Signals:
    """The vocabulary of the direction rules, compiled from [signals.*] of taxonomy.toml."""

    rungs: tuple[tuple[int, _Matcher], ...]  # obligation scale, one matcher a rung: 1 strongest .. 4
    present_tense: _Matcher
    escape_clauses: _Labelled
    external_parties: _Labelled
    named_bodies: _Labelled
    generic_bodies: _Matcher
    halt: _Matcher
    proceed: _Matcher
    publication: _Matcher
    private_sharing: _Matcher
    recommendation: _Matcher
    risk_domains: _Labelled
    higher_is_laxer: _Matcher
    higher_is_stricter: _Matcher
    deadline: _Matcher


@dataclass(frozen=True)
class Taxonomy:
    """Tag -> compiled case-insensitive patterns (in tag order), plus the direction vocabulary."""

    tags: tuple[tuple[str, _Patterns], ...]
    signals: Signals
    _matchers: tuple[tuple[str, tuple[_Matcher, ...]], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        matchers = tuple((tag, tuple(_Matcher(p, _required_prefixes(p.pattern)) for p in patterns))
                         for tag, patterns in self.tags)
        object.__setattr__(self, "_matchers", matchers)

    def patterns(self, tag: str) -> _Patterns:
        """The patterns of one tag (empty for an unknown tag)."""
        return next((patterns for name, patterns in self.tags if name == tag), ())

    def tags_of(self, text: str) -> tuple[str, ...]:
        """Every tag with a pattern found in text; a sub-tag ("I-ext") brings its parent ("I") first."""
        found: dict[str, None] = {}
        lowered = text.lower()
        for tag, matchers in self._matchers:
            if any(matcher.search(text, lowered) for matcher in matchers):
                found.setdefault(_parent_tag(tag))
                found.setdefault(tag)
        return tuple(found)


def _parent_tag(tag: str) -> str:
    """"I-ext" -> "I"; a tag without a dash is its own parent."""
    return tag.split("-", 1)[0]


def load_taxonomy(extra: Mapping[str, Sequence[str]] | None = None) -> Taxonomy:
    """The shipped taxonomy, with user patterns (sources.toml [classify.taxonomy]) added per tag."""
    data = _shipped_taxonomy()
    merged: dict[str, list[str]] = {tag: list(table["patterns"]) for tag, table in data["tags"].items()}
    for tag, patterns in (extra or {}).items():
        merged.setdefault(tag, []).extend(patterns)
    tags = tuple((tag, tuple(_compile(p, f"taxonomy.{tag}") for p in patterns))
                 for tag, patterns in merged.items())
    return Taxonomy(tags=tags, signals=_signals_from(data["signals"]))


@functools.cache
def _shipped_taxonomy() -> dict[str, Any]:
    """The parsed watcher/data/taxonomy.toml (read once)."""
    with resources.files("watcher").joinpath("data/taxonomy.toml").open("rb") as f:
        return tomllib.load(f)


def _signals_from(table: Mapping[str, Any]) -> Signals:
    """Compile the [signals.*] tables."""
    obligation = table["obligation"]
    rungs = tuple((rung, _any_of(obligation[f"rung{rung}"], f"signals.obligation.rung{rung}"))
                  for rung in (1, 2, 3, 4))

    def single(name: str) -> _Matcher:
        return _any_of(table[name]["patterns"], f"signals.{name}")

    return Signals(
        rungs=rungs, present_tense=single("present_tense"),
        escape_clauses=_labelled(table["escape_clauses"], "signals.escape_clauses"),
        external_parties=_labelled(table["external_parties"], "signals.external_parties"),
        named_bodies=_labelled(table["named_bodies"], "signals.named_bodies"),
        generic_bodies=single("generic_bodies"), halt=single("halt"), proceed=single("proceed"),
        publication=single("publication"), private_sharing=single("private_sharing"),
        recommendation=single("recommendation"),
        risk_domains=_labelled(table["risk_domains"], "signals.risk_domains"),
        higher_is_laxer=single("higher_is_laxer"), higher_is_stricter=single("higher_is_stricter"),
        deadline=single("deadline"),
    )
