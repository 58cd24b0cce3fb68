"""The fast paths of hot functions keep the results of the plain versions they replaced."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher.diff import compare
from watcher.explain import AccountEntry, explain_change, matching
from watcher.explain.matching import _token_terms
from watcher.normalize import _undecodable_share
from watcher.normalize.pdf.lines import _hyphen_parts


def _plain_undecodable_share(text: str) -> float:
    """The definition: replacement characters and C0 controls other than tab, LF, CR and FF."""
    return sum(1 for c in text if c == "\ufffd" or (ord(c) < 32 and c not in "\t\n\r\f")) / len(text)


def test_undecodable_share_counts_what_the_definition_counts() -> None:
    for char in [chr(code) for code in range(0x250)] + ["\ufffd", "\ufffe", "\u2028", "\U0001f600"]:
        assert _undecodable_share(char) == _plain_undecodable_share(char), repr(char)
    text = "ok\t\n\r\f\x0b\x00\x1f\x7f\x85\ufffd text"
    assert _undecodable_share(text) == _plain_undecodable_share(text) == 4 / len(text)


@pytest.mark.parametrize(("left", "right", "parts"), [
    ("safe-", "guards", ("safe", "guards")),
    ("safe-\n", "guards", ("safe", "guards")),  # "$" also matches before a final newline
    ("the state-of-the-", "art", ("state-of-the", "art")),
    ("AI R&D-", "Level", ("d", "level")),
    ("safe -", "guards", None),
    ("in 2024-", "x", None),
    ("word-", "2025", None),
    ("no hyphen", "here", None),
    ("", "a", None),
])
def test_hyphen_parts(left: str, right: str, parts: tuple[str, str] | None) -> None:
    assert _hyphen_parts(left, right) == parts


@pytest.mark.parametrize(("token", "terms"), [
    ("capabilities", (("capability", False),)),
    ("CBRN", (("cbrn", True),)),
    ("GPUs", (("gpu", True),)),
    ("ASL-3", (("asl-3", True), ("asl", True))),
    ("R&D-4", (("r&d-4", True), ("r&d", True))),
    ("well-known", (("well", False), ("known", False))),
    ("2024", ()),
    ("the", ()),
])
def test_token_terms_are_the_same_when_remembered(token: str, terms: tuple[tuple[str, bool], ...]) -> None:
    assert _token_terms(token) == terms
    assert _token_terms(token) == terms


OLD = "# Policy\nWe will review every model for cyber risk each year.\nOther text stays the same."
NEW = "# Policy\nWe will review every model for cyber risk every two years.\nOther text stays the same."
DETECTED = datetime(2025, 6, 2, tzinfo=UTC)


def _explain(external: list[AccountEntry]) -> str:
    hunks = compare(OLD, NEW).hunks
    return explain_change(hunks, [True] * len(hunks), [()] * len(hunks), [None] * len(hunks), OLD, NEW,
                          source_id="p", url=None, external=external, detected_at=DETECTED, now=DETECTED).status


def test_rarity_index_is_built_only_when_an_entry_is_scored(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    real = matching._Rarity

    def counting_rarity(lines: list[str]) -> matching._Rarity:
        built.append(1)
        return real(lines)

    monkeypatch.setattr(matching, "_Rarity", counting_rarity)
    assert _explain([]) == "pending"
    assert built == []
    entry = AccountEntry("news", None, "Cyber risk reviews now take place every two years.", DETECTED.isoformat())
    assert _explain([entry]) == "explained"
    assert built == [1]
