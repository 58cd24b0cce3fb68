"""severity(): the severity of one change from its hunk verdicts and explanation status (_SEVERITY_RULES)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from watcher.classify.taxonomy import _parent_tag
from watcher.classify.verdict import KEY_COMMITMENTS, SEVERITIES, HunkVerdict


@dataclass(frozen=True)
class _Summary:
    """What the severity rules look at: the verdicts of one change and its explanation status."""

    verdicts: tuple[HunkVerdict, ...]
    status: str | None  # "explained", "partial", "silent", "version_only", "pending" or None (unknown)

    @property
    def material(self) -> bool:
        """Whether any hunk is material."""
        return any(v.material for v in self.verdicts)

    @property
    def explained_gains_only(self) -> bool:
        """Explained, and every material hunk strengthens or adds."""
        return self.status == "explained" and self.material and all(
            v.direction in ("strengthen", "add") for v in self.verdicts if v.material)


def _weakened_key_commitments(summary: _Summary) -> Iterator[str]:
    """'weaken under IV: hunk 3' for every weakening or removal under II, IV, VII or VIII (1-based)."""
    for number, verdict in enumerate(summary.verdicts, start=1):
        if verdict.material and verdict.direction in ("weaken", "remove"):
            for tag in dict.fromkeys(_parent_tag(t) for t in verdict.tags):
                if tag in KEY_COMMITMENTS:
                    yield f"{verdict.direction} under {tag}: hunk {number}"


def _when(condition: Callable[[_Summary], bool], reason: str) -> Callable[[_Summary], Iterator[str]]:
    """A rule that fires one fixed reason when condition holds."""
    def fire(summary: _Summary) -> Iterator[str]:
        if condition(summary):
            yield reason.format(status=summary.status or "unknown")
    return fire


# (severity, rule): a rule yields the reasons it fires for. The highest severity that fired wins.
_SEVERITY_RULES: tuple[tuple[str, Callable[[_Summary], Iterator[str]]], ...] = (
    ("high", _when(lambda s: s.material and s.status == "silent", "silent material change")),
    ("high", _when(lambda s: s.material and s.status == "partial", "partially explained material change")),
    ("high", _weakened_key_commitments),
    ("medium", _when(lambda s: s.material and not s.explained_gains_only, "material change ({status})")),
    ("low", _when(lambda s: s.explained_gains_only, "explained change that only strengthens or adds")),
    ("info", _when(lambda s: not s.material, "no material change (editorial only)")),
)


def severity(verdicts: Sequence[HunkVerdict], explanation_status: str | None) -> tuple[str, tuple[str, ...]]:
    """(severity, every reason that fired): high, medium, low or info (info never alerts)."""
    summary = _Summary(tuple(verdicts), explanation_status)
    fired = [(level, reason) for level, rule in _SEVERITY_RULES for reason in rule(summary)]
    level = max((level for level, _ in fired), key=SEVERITIES.index)
    return level, tuple(reason for _, reason in fired)
