"""Judge diff hunks: editorial or material, which commitments they touch, which way they move them.

A pure "Decider": no I/O except reading the packaged vocabulary (watcher/data/taxonomy.toml). Per hunk:

    1. editorial?  whitespace reflow, empty, typography, punctuation, spelling variant, table-of-contents
                   or page-number line, acknowledgements, or moved unchanged (the passage is still found
                   in the other version)                                  -> material = False, stop;
    2. tags        I-VIII (Frontier AI Safety Commitments) and X (meta) from the taxonomy patterns, on the
                   hunk's old and new text and its section heading;
    3. direction   version label, date, link or title only -> X (X-version, X-link, X-rename), neutral;
                   a hunk in the changelog section -> X (X-changelog), neutral;
                   pure deletion  -> each sentence is looked up in the new text (a move), the companion
                                     documents (relocate) and the new text's recommendations (relocate);
                                     what is gone and carries a commitment -> remove;
                   pure insertion -> add (weaken if it only adds a suspension condition);
                   replacement    -> the signal rules (_SIGNAL_RULES): obligation scale, escape clauses,
                                     numbers, named parties, halt verbs, disclosure, risk domains,
                                     recommendations. Weaken wins over strengthen (codebook section 4).
    4. severity()  over all verdicts of one change and its explanation status, by _SEVERITY_RULES.

Sentences are compared on canonical tokens (case, glyphs, punctuation and British/American spelling
folded). "Found elsewhere" means the canonical text occurs there, or, for sentences of at least
_FUZZY_MIN_TOKENS tokens, a sentence with token-set Dice similarity >= _FOUND_SIMILARITY. Each text is
indexed once (memoised), so classify_hunks over hundreds of hunks of a 1 MB document stays fast.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from watcher.diff import Hunk
from watcher.errors import ConfigError
from watcher.normalize.text import clean_text

EDITORIAL_REASONS = ("whitespace", "empty", "typography", "punctuation", "spelling-variant",
                     "toc-or-page-number", "acknowledgements", "moved")
DIRECTIONS = ("strengthen", "weaken", "remove", "add", "relocate", "neutral")
SEVERITIES = ("info", "low", "medium", "high")  # ascending
KEY_COMMITMENTS = ("II", "IV", "VII", "VIII")  # weakening these is always high severity

_FOUND_SIMILARITY = 0.9  # Dice over token sets: "the same sentence, small edits allowed"
_RECOMMENDATION_SIMILARITY = 0.6  # a commitment reworded as a recommendation keeps most of its words
_FUZZY_MIN_TOKENS = 8  # shorter sentences must be found exactly (after canonicalisation)
_RELOCATED_MIN_TOKENS = 5  # a shorter deleted fragment is never looked for in the companions
_MOVED_SEGMENT_MIN_TOKENS = 4  # a shorter moved piece inside a changed sentence must stay near
_NEAR_CHARS = 2000
_QUOTE_CHARS = 70  # how much of a sentence a reason quotes


# --- public types --------------------------------------------------------------------------------

_Patterns = tuple[re.Pattern[str], ...]


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


def _top_level_parts(source: str) -> list[str]:
    """The source split at its top-level | characters."""
    parts, depth, escaped, in_class, start = [], 0, False, False, 0
    for index, char in enumerate(source):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(source[start:index])
            start = index + 1
    return [*parts, source[start:]]


def _has_top_level_alternation(source: str) -> bool:
    """Whether the regex source has a | outside any group or character class."""
    depth, escaped, in_class = 0, False, False
    for char in source:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def _closing_paren(source: str, opening: int) -> int:
    """Index of the parenthesis closing the one at opening (-1 if none)."""
    depth, escaped, in_class = 0, False, False
    for index in range(opening, len(source)):
        char = source[index]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


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


@dataclass(frozen=True)
class HunkVerdict:
    """What one hunk means: material or editorial, the commitments it touches and the direction."""

    material: bool
    kind: str  # "editorial" or "material"
    editorial_reason: str | None  # one of EDITORIAL_REASONS when editorial
    tags: tuple[str, ...]  # "I".."VIII", "X"; sub-tags: I-ext, X-version, X-changelog, X-link, X-rename
    direction: str | None  # one of DIRECTIONS; None when editorial
    section: str | None  # nearest heading above the hunk (new text; old text for deletions)
    reasons: tuple[str, ...]  # the rule firings, readable

    def to_json(self) -> dict[str, Any]:
        """This verdict as a JSON-ready dict."""
        return {"material": self.material, "kind": self.kind, "editorial_reason": self.editorial_reason,
                "tags": list(self.tags), "direction": self.direction, "section": self.section,
                "reasons": list(self.reasons)}


def _parent_tag(tag: str) -> str:
    """"I-ext" -> "I"; a tag without a dash is its own parent."""
    return tag.split("-", 1)[0]


# --- loading the taxonomy ------------------------------------------------------------------------

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


# --- canonical text: the keys that decide "editorial" --------------------------------------------

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+|[%$€£<>=+^≤≥&\u00d7]")
_HAS_WORD = re.compile(r"[^\W_]")

# British -> American spelling, as rules over one lower-case word (order matters: first match wins).
_SPELLING_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(a), b) for a, b in (
    (r"^practis(e|es|ed|ing)$", r"practic\1"),  # practise (verb) -> practice
    (r"(?<=\w{3})is(e|es|ed|ing|ation|ations|er|ers)$", r"iz\1"),  # organise, realisation
    (r"(?<=\w)ys(e|es|ed|ing|er|ers)$", r"yz\1"),  # analyse, paralysed
    (r"(?<=\w{3})our(s|ed|ing|able|ably|ful|ite|ites|ism|less|er|ers)?$", r"or\1"),  # behaviour
    (r"logue(s)?$", r"log\1"),  # catalogue, dialogue
    (r"logu(ed|ing)$", r"log\1"),
    (r"(?<=\w{2})([tb])re$", r"\1er"),  # centre, fibre
    (r"(?<=\w{2})([tb])res$", r"\1ers"),
    (r"(?<=\w{2})([tb])red$", r"\1ered"),
    (r"dgement(s)?$", r"dgment\1"),  # judgement, acknowledgement
    (r"(?<=\w{3}[aeiou])ll(ed|ing|er|ers)$", r"l\1"),  # modelling, labelled
    (r"^(fulfil|enrol|distil|instil|instal)(s|ment|ments)?$", r"\1l\2"),  # fulfil -> fulfill
    (r"ence$", r"ense"),  # defence, licence, offence
    (r"^programme(s)?$", r"program\1"),
))


@functools.lru_cache(maxsize=65536)
def _spelling_key(word: str) -> str:
    """One spelling for British and American variants of a lower-case word."""
    if len(word) < 5 or not word.isalpha():  # every rule needs a longer word
        return word
    for pattern, replacement in _SPELLING_RULES:
        word, hits = pattern.subn(replacement, word)
        if hits:
            return word
    return word


# Beyond clean_text: the multiplication sign ("3\u00d7 compute"), fraction slashes, invisible characters.
_MORE_GLYPHS = str.maketrans({"\u00d7": "x", "\u2044": "/", "\u2215": "/",
                              **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", None)})


def _typography_key(text: str) -> str:
    """Text with glyphs, quotes, dashes, case and whitespace unified."""
    folded = unicodedata.normalize("NFKC", clean_text(text)).translate(_MORE_GLYPHS).casefold()
    return " ".join(folded.split())


def _words(text: str) -> list[str]:
    """Words, numbers and meaningful symbols of text, without punctuation (after typography)."""
    return _WORD.findall(_typography_key(text))


def _canon_tokens(text: str) -> list[str]:
    """Words as compared for moves and matches: case, Unicode forms, punctuation and spelling folded."""
    # Quotes and dashes are not words, so the cheaper NFKC + casefold stands in for _typography_key.
    folded = unicodedata.normalize("NFKC", text).translate(_MORE_GLYPHS).casefold()
    return [_spelling_key(word) for word in _WORD.findall(folded)]


def _canon(text: str) -> str:
    """Canonical tokens joined with single spaces."""
    return " ".join(_canon_tokens(text))


# --- sentences and headings ----------------------------------------------------------------------

_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9•●-])")
_MARKDOWN_HEADING = re.compile(r"^#+\s+(.*\S)")
_NUMBERED_HEADING = re.compile(
    r"^(?:(?:section|appendix|annex|part|chapter)\s+[\dA-Z]{1,3}[.:]?\s+|\d{1,2}(?:\.\d{1,2})*\.?\s+"
    r"|[A-Z][.)]\s+|[IVX]{1,5}[.)]\s+)(?P<title>[A-Z].*)$", re.IGNORECASE)
_TERMINAL_PUNCTUATION = (".", ",", ";", ":", "?", "!")


_ENUMERATOR = re.compile(r"^\W*(?:\d{1,2}(?:\.\d{1,2})*|[a-z]|[ivx]{1,4})[.)]$", re.IGNORECASE)


def _split_sentences(line: str, *, heading: bool | None = None) -> list[tuple[int, str]]:
    """(offset, sentence) pieces of one line; a heading, and an enumerator ("2.", "b)"), stay whole."""
    if heading if heading is not None else _heading_title(line) is not None:
        return [(0, line)] if line.strip() else []
    pieces: list[tuple[int, str]] = []
    start = 0
    for brk in _SENTENCE_BREAK.finditer(line):
        if not _ENUMERATOR.match(line[start:brk.start()].strip()):
            pieces.append((start, line[start:brk.start()]))
            start = brk.end()
    pieces.append((start, line[start:]))
    return [(offset, piece) for offset, piece in pieces if piece.strip()]


def _heading_title(line: str) -> str | None:
    """The heading text if the line is a heading: "# x", "4.2 Capability Thresholds", or a short title."""
    line = line.strip()
    if _is_page_number_line(line):
        return None
    if match := _MARKDOWN_HEADING.match(line):
        return match.group(1)
    if not line or "|" in line or line.endswith(_TERMINAL_PUNCTUATION) or _is_toc_line(line):
        return None
    words = line.split()
    if match := _NUMBERED_HEADING.match(line):
        return line if len(words) <= 12 else None
    if len(words) > 8 or not line[0].isupper() or not any(len(w) >= 3 and w.isalpha() for w in words):
        return None
    long_words = [w for w in words if len(w) >= 4]
    return line if sum(w[0].isupper() for w in long_words) * 2 >= len(long_words) else None


@dataclass(frozen=True)
class _Sentence:
    """One sentence of a document, with its canonical token set."""

    text: str
    start: int
    tokens: frozenset[str]


@dataclass(frozen=True)
class _DocIndex:
    """One text, indexed once: canonical form, sentences with postings, headings."""

    text: str
    canon: str  # " tok tok ... ": search " needle " for token-bounded matches
    sentences: tuple[_Sentence, ...]
    postings: Mapping[str, tuple[int, ...]]
    heading_starts: tuple[int, ...]
    headings: tuple[str, ...]

    def count(self, canon_needle: str) -> int:
        """How often the canonical token run occurs."""
        return self.canon.count(f" {canon_needle} ") if canon_needle else 0

    def heading_at(self, pos: int) -> str | None:
        """The nearest heading starting at or before pos."""
        i = bisect_right(self.heading_starts, pos) - 1
        return self.headings[i] if i >= 0 else None

    def headings_above(self, pos: int, limit: int = 4) -> list[str]:
        """Up to limit headings starting at or before pos, nearest first."""
        i = bisect_right(self.heading_starts, pos)
        return list(reversed(self.headings[max(0, i - limit):i]))

    def best_match(self, tokens: Sequence[str], threshold: float) -> tuple[float, _Sentence] | None:
        """The most similar sentence (Dice over token sets) if at least threshold."""
        query = frozenset(tokens)
        if not query:
            return None
        # A match shares >= needed query tokens, so any (len - needed + 1) of them include one of its.
        needed = threshold * len(query) / (2 - threshold)
        probes = sorted(query, key=lambda t: len(self.postings.get(t, ())))[:len(query) - int(needed) + 1]
        candidates = {i for token in probes for i in self.postings.get(token, ())}
        best: tuple[float, _Sentence] | None = None
        for i in candidates:
            sentence = self.sentences[i]
            score = 2 * len(query & sentence.tokens) / (len(query) + len(sentence.tokens))
            if score >= threshold and (best is None or score > best[0]):
                best = (score, sentence)
        return best


@functools.lru_cache(maxsize=8)
def _doc_index(text: str) -> _DocIndex:
    """Index a text (memoised: the same texts come back for every hunk of a change)."""
    sentences: list[_Sentence] = []
    postings: dict[str, list[int]] = defaultdict(list)
    heading_starts: list[int] = []
    headings: list[str] = []
    canon_lines: list[str] = []
    pos = 0
    for line in text.split("\n"):
        if (title := _heading_title(line)) is not None:
            heading_starts.append(pos)
            headings.append(title)
        for offset, piece in _split_sentences(line, heading=title is not None):
            tokens = _canon_tokens(piece)
            canon_lines.append(" ".join(tokens))
            if len(tokens) >= 3:
                for token in set(tokens):
                    postings[token].append(len(sentences))
                sentences.append(_Sentence(piece, pos + offset, frozenset(tokens)))
        pos += len(line) + 1
    canon = " " + " ".join(piece for piece in canon_lines if piece) + " "
    return _DocIndex(text, canon, tuple(sentences), {t: tuple(ids) for t, ids in postings.items()},
                     tuple(heading_starts), tuple(headings))


@dataclass(frozen=True)
class _Context:
    """Everything a hunk is judged against: both versions and the companion documents."""

    old: _DocIndex
    new: _DocIndex
    companions: tuple[_DocIndex, ...]
    taxonomy: Taxonomy


# --- classification ------------------------------------------------------------------------------

def classify_hunks(hunks: Sequence[Hunk], old_text: str, new_text: str, taxonomy: Taxonomy, *,
                   companions: Sequence[str] = ()) -> list[HunkVerdict]:
    """A verdict for each hunk of old_text -> new_text (companions: the organisation's other documents)."""
    context = _Context(_doc_index(old_text), _doc_index(new_text),
                       tuple(_doc_index(text) for text in companions), taxonomy)
    return [_verdict(hunk, context) for hunk in hunks]


def classify_hunk(hunk: Hunk, old_text: str, new_text: str, taxonomy: Taxonomy, *,
                  companions: Sequence[str] = ()) -> HunkVerdict:
    """The verdict for one hunk (see classify_hunks)."""
    return classify_hunks([hunk], old_text, new_text, taxonomy, companions=companions)[0]


@dataclass(frozen=True)
class _Judgement:
    """The outcome of the direction stage: a direction, or an editorial reason after all."""

    direction: str | None
    reasons: tuple[str, ...]
    editorial_reason: str | None = None
    tags: tuple[str, ...] | None = None  # overrides the taxonomy tags (meta changes are X only)


def _verdict(hunk: Hunk, context: _Context) -> HunkVerdict:
    """Editorial check, tags, then direction for one hunk."""
    section = _section_of(hunk, context)
    tags = context.taxonomy.tags_of("\n".join((hunk.old_text, hunk.new_text, section or "")))
    reason = _editorial_reason(hunk, section, context)
    judgement = _Judgement(None, (), reason) if reason else _judge(hunk, context)
    if judgement.editorial_reason:
        why = judgement.reasons or (f"editorial: {judgement.editorial_reason}",)
        return HunkVerdict(False, "editorial", judgement.editorial_reason, tags, None, section, why)
    return HunkVerdict(True, "material", None, judgement.tags if judgement.tags is not None else tags,
                       judgement.direction, section, judgement.reasons)


def _is_deletion(hunk: Hunk) -> bool:
    """Nothing new in place of the old text."""
    return not hunk.new_text.strip() and bool(hunk.old_text.strip())


def _is_insertion(hunk: Hunk) -> bool:
    """Nothing old in place of the new text."""
    return not hunk.old_text.strip() and bool(hunk.new_text.strip())


def _section_of(hunk: Hunk, context: _Context) -> str | None:
    """Nearest heading above the hunk in the new text (in the old text for deletions)."""
    return next(iter(_headings_above(hunk, context)), None)


def _headings_above(hunk: Hunk, context: _Context) -> list[str]:
    """The headings above the hunk, nearest first (new text; old text for deletions)."""
    if _is_deletion(hunk):
        return context.old.headings_above(hunk.old_start + _leading_space(hunk.old_text))
    return context.new.headings_above(hunk.new_start + _leading_space(hunk.new_text))


def _leading_space(text: str) -> int:
    """Length of the whitespace text starts with."""
    return len(text) - len(text.lstrip())


# --- stage 1: editorial --------------------------------------------------------------------------

_ACKNOWLEDGEMENTS = re.compile(r"acknowledg|contributors|\bthanks\b|\bcredits\b", re.IGNORECASE)
_CONTENTS = re.compile(r"^(table of )?contents$", re.IGNORECASE)
_PAGE_LINE = re.compile(r"^(?:\[\[)?(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?(?:\]\])?$", re.IGNORECASE)
_DOTTED_LEADER = re.compile(r"(?:\.\s?){3,}\s*\d{1,4}$|…\s*\d{1,4}$")
_TOC_ENTRY = re.compile(r"^(?P<title>\S.*?)\s+(?P<page>\d{1,3})$")
_NOT_A_PAGE_NUMBER = re.compile(  # words after which a trailing number is a quantity or a label
    r"\b(?:version|v|level|tier|asl|sl|step|phase|stage|days?|weeks?|months?|years?|hours?|rev|edition|"
    r"no|number|than|least|most|to|of|in|every|within|and|or|by|at|the|a|an|is|are|was|be|top|over|under)$",
    re.IGNORECASE)
_MODAL_WORD = re.compile(r"\b(?:will|must|shall|may|might|could|should|would)\b", re.IGNORECASE)


def _is_page_number_line(line: str) -> bool:
    """A bare page number ("12", "Page 3 of 20", "# 7"), or a contents entry with dotted leaders."""
    line = line.strip().lstrip("#").strip()
    return bool(_PAGE_LINE.match(line) or _DOTTED_LEADER.search(line))


def _is_toc_line(line: str) -> bool:
    """A table-of-contents entry ("Appendix C: Thresholds 16") or a bare page number."""
    if _is_page_number_line(line):
        return True
    line = line.strip().lstrip("#").strip()
    match = _TOC_ENTRY.match(line)
    if not match or "|" in line:
        return False
    title = match["title"].rstrip()
    return (len(title.split()) <= 12 and (title[0].isupper() or title[0].isdigit())
            and not title.endswith((",", ";", ".")) and not _NOT_A_PAGE_NUMBER.search(title)
            and not _MODAL_WORD.search(title))


def _differs_only_in_whitespace(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """Reflow: the same words with other spaces and line breaks."""
    return hunk.old_text.split() == hunk.new_text.split()


def _changes_carry_no_words(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """An inserted or deleted passage without a letter or digit (a rule line, a stray bullet)."""
    one_sided = not hunk.old_text.strip() or not hunk.new_text.strip()
    return one_sided and not _HAS_WORD.search(hunk.old_text + hunk.new_text)


def _differs_only_in_typography(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """Quotes, dashes, ligatures, case, Unicode forms."""
    return _typography_key(hunk.old_text) == _typography_key(hunk.new_text)


def _differs_only_in_punctuation(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """The same words and numbers ("e.g." vs "e.g.,", "decision-making" vs "decision making")."""
    return "".join(_words(hunk.old_text)) == "".join(_words(hunk.new_text))


def _differs_only_in_spelling(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """British and American spellings of the same words (organisation / organization)."""
    return "".join(_canon_tokens(hunk.old_text)) == "".join(_canon_tokens(hunk.new_text))


# Footnote marks: glued to a word ("misuse13", "risk.4") or opening a footnote line ("13 See ...").
_FOOTNOTE_MARK = re.compile(r"(?:(?<=[a-z]{3})|(?<=[a-z][.,;:)\"']))\d{1,3}\b(?!\s*(?:%|x\b|percent))"
                            r"|^\s*\d{1,3}(?=\s+[A-Z])", re.MULTILINE)


def _differs_only_in_numbering(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """Footnote marks renumbered (a footnote added earlier shifts every later number)."""
    def unmarked(text: str) -> str:
        return "".join(_canon_tokens(_FOOTNOTE_MARK.sub(" ", text)))
    return bool(_FOOTNOTE_MARK.search(hunk.old_text + "\n" + hunk.new_text)) and (
        unmarked(hunk.old_text) == unmarked(hunk.new_text))


def _touches_only_toc_lines(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """Every changed line is a contents entry or page number, and it sits among such lines."""
    old_lines = _touched_lines(context.old.text, hunk.old_start, len(hunk.old_text))
    new_lines = _touched_lines(context.new.text, hunk.new_start, len(hunk.new_text))
    changed = [line for line in (old_lines if hunk.old_text.strip() else [])
               + (new_lines if hunk.new_text.strip() else []) if line.strip()]
    # A contents entry may have lost its page number on the way (title only): allowed among entries.
    if not changed or not all(_is_toc_line(line) or _heading_title(line) for line in changed):
        return False
    if any(_is_page_number_line(line) for line in changed):
        return True
    neighbours = (_neighbour_lines(context.old.text, hunk.old_start, len(hunk.old_text))
                  + _neighbour_lines(context.new.text, hunk.new_start, len(hunk.new_text)))
    return bool(section and _CONTENTS.match(section)) or any(_is_toc_line(line) for line in neighbours)


def _in_acknowledgements(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """The hunk sits under an Acknowledgements (contributors, thanks) heading."""
    return bool(section and _ACKNOWLEDGEMENTS.search(section))


def _moved_within_sentence_edit(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """Every changed piece of a rewritten passage is a long run still found as often in the other text."""
    if _is_deletion(hunk) or _is_insertion(hunk):
        return False  # whole passages are followed sentence by sentence in stage 3
    pieces = [(op, text) for op, text in hunk.segments if op != "=" and _HAS_WORD.search(text)]
    if not pieces:
        return False
    for op, text in pieces:
        piece = _canon(text)
        own, other = (context.old, context.new) if op == "-" else (context.new, context.old)
        # A short piece found as often elsewhere may be an unrelated edit (will -> may here, may -> will
        # there): it counts as moved only if it went a short way (a footnote crossing a page break) and
        # carries none of the words the direction rules read.
        position = hunk.new_start if op == "-" else hunk.old_start
        if len(piece.split()) < _MOVED_SEGMENT_MIN_TOKENS and (
                _has_signal_words(text, context.taxonomy.signals)
                or not _occurs_near(piece, other.text, position)):
            return False
        if other.count(piece) < own.count(piece):
            return False
    return True


def _has_signal_words(text: str, signals: Signals) -> bool:
    """Whether text holds a number or any word of the direction vocabulary."""
    patterns = (*(p for _, p in signals.rungs), signals.present_tense, signals.halt, signals.proceed,
                signals.publication, signals.private_sharing, signals.recommendation,
                *(p for _, p in (*signals.escape_clauses, *signals.external_parties, *signals.named_bodies,
                                 *signals.risk_domains)))
    return any(ch.isdigit() for ch in text) or any(pattern.search(text) for pattern in patterns)


def _occurs_near(canon_piece: str, text: str, position: int) -> bool:
    """Whether the canonical piece occurs within _NEAR_CHARS of position in text."""
    window = text[max(0, position - _NEAR_CHARS):position + _NEAR_CHARS]
    return f" {canon_piece} " in f" {_canon(window)} "


def _moved_whole_passage(hunk: Hunk, section: str | None, context: _Context) -> bool:
    """An inserted or deleted passage that exists, unchanged, elsewhere in the other version."""
    if _is_deletion(hunk):
        own, other, text = context.old, context.new, hunk.old_text
    elif _is_insertion(hunk):
        own, other, text = context.new, context.old, hunk.new_text
    else:
        return False
    return _found_unchanged(_canon(text), own, other)


def _found_unchanged(canon: str, own: _DocIndex, other: _DocIndex) -> bool:
    """A long run found in other, or a short one found there at least as often as in its own text."""
    if not canon:
        return False
    if len(canon.split()) >= _FUZZY_MIN_TOKENS:
        return other.count(canon) > 0
    return other.count(canon) >= own.count(canon)


_EditorialCheck = Callable[[Hunk, str | None, _Context], bool]

# (reason, check): the first check that holds names the hunk editorial. Order: cheapest and surest first.
_EDITORIAL_CHECKS: tuple[tuple[str, _EditorialCheck], ...] = (
    ("whitespace", _differs_only_in_whitespace),
    ("empty", _changes_carry_no_words),
    ("typography", _differs_only_in_typography),
    ("punctuation", _differs_only_in_punctuation),
    ("spelling-variant", _differs_only_in_spelling),
    ("toc-or-page-number", _touches_only_toc_lines),
    ("toc-or-page-number", _differs_only_in_numbering),  # numbering artefacts share the reason
    ("acknowledgements", _in_acknowledgements),
    ("moved", _moved_whole_passage),
    ("moved", _moved_within_sentence_edit),
)


def _editorial_reason(hunk: Hunk, section: str | None, context: _Context) -> str | None:
    """Why the hunk is editorial, or None when it may be material."""
    return next((reason for reason, check in _EDITORIAL_CHECKS if check(hunk, section, context)), None)


def _touched_lines(text: str, start: int, length: int) -> list[str]:
    """The whole lines of text that the span [start, start + length) touches."""
    if not text:
        return []
    begin = text.rfind("\n", 0, start) + 1
    end = text.find("\n", start + max(length, 1) - 1)
    return text[begin:end if end >= 0 else len(text)].split("\n")


def _neighbour_lines(text: str, start: int, length: int) -> list[str]:
    """The line before and the line after the span."""
    begin = text.rfind("\n", 0, start) + 1
    end = text.find("\n", start + max(length, 1) - 1)
    before = text[:max(begin - 1, 0)].rsplit("\n", 1)[-1] if begin > 0 else ""
    after = text[end + 1:].split("\n", 1)[0] if end >= 0 else ""
    return [line for line in (before, after) if line.strip()]


# --- stage 3: direction --------------------------------------------------------------------------

_CHANGELOG = re.compile(r"change ?log|version history|revision history|updates and changes|past versions|"
                        r"release notes|document history|summary of changes", re.IGNORECASE)
# Escape clauses that suspend an existing commitment even when they arrive as a sentence of their own
# (codebook example I: a marginal-risk provision is W, not A).
_SUSPENSION_CLAUSES = ("competitor", "may-adjust", "exemption", "at-our-discretion")


def _judge(hunk: Hunk, context: _Context) -> _Judgement:
    """Direction and reasons of a material hunk (or a late editorial reason for moved passages)."""
    if meta := _meta_change(hunk):
        reason, sub_tag = meta
        return _Judgement("neutral", (reason,), tags=("X", sub_tag))
    if changelog := _changelog_heading(hunk, context):
        return _Judgement("neutral", (f"changelog entry changed (section '{changelog}')",),
                          tags=("X", "X-changelog"))
    old_sentences, new_sentences = _passage_sentences(hunk.old_text), _passage_sentences(hunk.new_text)
    dropped, added = _unpaired(old_sentences, new_sentences), _unpaired(new_sentences, old_sentences)
    # Whole sentences removed (or added) around unchanged ones are judged like pure deletions (insertions).
    if dropped and not added:
        return _judge_deletion(dropped, context)
    if added and not dropped:
        return _judge_insertion(added, context)
    return _direction_of(_signals(hunk.old_text, hunk.new_text, context.taxonomy.signals)
                         + _dropped_sentences(old_sentences, new_sentences, context))


def _changelog_heading(hunk: Hunk, context: _Context) -> str | None:
    """The changelog heading the hunk sits under, looking past dated or versioned entry headings."""
    for heading in _headings_above(hunk, context):
        if _CHANGELOG.search(heading):
            return heading
        if not (_DATE.search(heading) or _VERSION_LABEL.search(heading)) or len(heading.split()) > 10:
            return None
    return None


def _unpaired(sentences: Sequence[str], others: Sequence[str]) -> list[str]:
    """The sentences without an identical (canonical) counterpart among others, one for one."""
    available = Counter(_canon(other) for other in others)
    unpaired = []
    for sentence in sentences:
        key = _canon(sentence)
        if available[key]:
            available[key] -= 1
        else:
            unpaired.append(sentence)
    return unpaired


@dataclass(frozen=True)
class _Signal:
    """One rule firing: the direction it points to and why."""

    direction: str  # weaken | strengthen | relocate
    reason: str


_NO_SIGNAL = ("material change without a direction signal",)


def _direction_of(signals: Sequence[_Signal], notes: Sequence[str] = ()) -> _Judgement:
    """Relocate beats weaken beats strengthen; both weaken and strengthen -> weaken (codebook 4, 11.3)."""
    reasons = [*notes, *(signal.reason for signal in signals)]
    directions = {signal.direction for signal in signals}
    if "weaken" in directions and "strengthen" in directions and "relocate" not in directions:
        reasons.append("mixed: weakening and strengthening signals, coded weaken")
    for direction in ("relocate", "weaken", "strengthen"):
        if direction in directions:
            return _Judgement(direction, tuple(dict.fromkeys(reasons)))
    return _Judgement("neutral", tuple(dict.fromkeys(reasons)) or _NO_SIGNAL)


# --- meta changes (X) ---

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})\b", re.IGNORECASE)
_VERSION_LABEL = re.compile(r"\b(?:version|ver\.?|rev(?:ision)?\.?|v)\s*\d+(?:\.\d+)*[a-z]?\b", re.IGNORECASE)
_META_CUE = re.compile(r"\b(?:version|v\d|updated|effective|published|revised|released|dated?|as of|posted|"
                       r"issued|draft|change ?log|modified)\b", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"\b\d+(?:\.\d+)*\b")


def _meta_change(hunk: Hunk) -> tuple[str, str] | None:
    """(reason, X sub-tag) when the hunk changes only a version label, a date, a link or the title."""
    old, new = hunk.old_text, hunk.new_text
    if _masked(old, _URL) == _masked(new, _URL) and _URL.search(old + new):
        return "link changed (X)", "X-link"
    meta_line = bool(_META_CUE.search(old + new)) and max(len(old.split()), len(new.split())) <= 12
    masks = (_URL, _DATE, _VERSION_LABEL, *((_BARE_NUMBER,) if meta_line else ()))
    old_masked, new_masked = _masked(old, *masks), _masked(new, *masks)
    standalone = len(_words(old_masked)) <= 3 and len(_words(new_masked)) <= 3
    if old_masked == new_masked and (meta_line or standalone) and (old.strip() and new.strip()):
        return "version label or date changed (X)", "X-version"
    if hunk.old_line == 1 and hunk.new_line == 1 and _is_title_line(old) and _is_title_line(new):
        return "document title changed (X)", "X-rename"
    return None


def _masked(text: str, *patterns: re.Pattern[str]) -> str:
    """Text with every match of the patterns replaced by a placeholder, compared on words."""
    for pattern in patterns:
        text = pattern.sub(" META ", text)
    return " ".join(_canon_tokens(text))


def _is_title_line(text: str) -> bool:
    """A single short line: the document's title."""
    text = text.strip().lstrip("#").strip()
    return bool(text) and "\n" not in text and len(text.split()) <= 12 and not _MODAL_WORD.search(text)


# --- pure deletions and insertions: follow each sentence ---

@dataclass(frozen=True)
class _Fate:
    """Where a deleted (or inserted) sentence went: moved, companion, recommendation, or gone."""

    sentence: str
    where: str  # "moved" | "companion" | "recommendation" | "unmatched" (gone, or new)
    counterpart: str | None = None


def _judge_deletion(sentences: Sequence[str], context: _Context) -> _Judgement:
    """Deleted sentences: moved (editorial), relocated to a companion or a recommendation, or removed."""
    signals = context.taxonomy.signals
    fates = [_fate_of_deleted(sentence, context) for sentence in sentences]
    moved_signals = _moved_pair_signals(fates, signals, deleted=True)
    gone = [fate.sentence for fate in fates if fate.where == "unmatched"]
    relocated = [fate for fate in fates if fate.where in ("companion", "recommendation")]
    notes = [_relocation_note(fate) for fate in relocated]
    gone_commitments = [s for s in gone if _carries_commitment(s, context.taxonomy)]
    if gone_commitments:
        if all(_suspension_clauses(s, signals) for s in gone_commitments):
            clauses = [c for s in gone_commitments for c in _suspension_clauses(s, signals)]
            return _direction_of([_Signal("strengthen", f"escape clause removed: '{clauses[0]}'")])
        removed = [f"commitment removed: '{_quote(s)}'" for s in gone_commitments]
        return _Judgement("remove", tuple(removed + notes + [s.reason for s in moved_signals]))
    if relocated:
        return _Judgement("relocate", tuple(notes + [s.reason for s in moved_signals]))
    if gone:
        return _Judgement("neutral", tuple(f"passage removed (no commitment wording): '{_quote(s)}'"
                                           for s in gone))
    if moved_signals:
        return _direction_of(moved_signals)
    return _Judgement(None, ("passage found elsewhere in the new version",), editorial_reason="moved")


def _judge_insertion(sentences: Sequence[str], context: _Context) -> _Judgement:
    """Inserted sentences: moved (editorial), a suspension condition (weaken), a commitment (add)."""
    signals = context.taxonomy.signals
    fates = [_fate_of_inserted(sentence, context) for sentence in sentences]
    moved_signals = _moved_pair_signals(fates, signals, deleted=False)
    new = [fate.sentence for fate in fates if fate.where == "unmatched"]
    if not new:
        if moved_signals:
            return _direction_of(moved_signals)
        return _Judgement(None, ("passage found elsewhere in the old version",), editorial_reason="moved")
    clauses = [clause for sentence in new for clause in _suspension_clauses(sentence, signals)]
    if clauses:
        return _direction_of([_Signal("weaken", f"escape clause added: '{clauses[0]}'"), *moved_signals])
    if all(_is_advice(s, signals) for s in new):
        return _direction_of(moved_signals, notes=["recommendation added (not a self-commitment)"])
    added = [f"commitment added: '{_quote(s)}'" for s in new if _carries_commitment(s, context.taxonomy)]
    if added and not moved_signals:
        return _Judgement("add", tuple(added))
    return _direction_of(moved_signals, notes=added or [f"passage added: '{_quote(s)}'" for s in new])


def _is_advice(sentence: str, signals: Signals) -> bool:
    """Worded as a recommendation to others, without a self-commitment of rung 1 or 2."""
    own = [rung for rung, _ in _rung_matches(sentence, signals) if rung <= 2]
    return bool(signals.recommendation.search(sentence)) and not own


def _passage_sentences(text: str) -> list[str]:
    """The sentences of a passage that carry words."""
    return [s for line in text.split("\n") if not _is_page_number_line(line)
            for _, s in _split_sentences(line) if _HAS_WORD.search(s)]


def _fate_of_deleted(sentence: str, context: _Context) -> _Fate:
    """Look for a deleted sentence in the new text, the companions, and the new recommendations."""
    tokens = _canon_tokens(sentence)
    if found := _find(sentence, tokens, context.old, context.new):
        return found
    if len(tokens) < _RELOCATED_MIN_TOKENS or not _carries_commitment(sentence, context.taxonomy):
        return _Fate(sentence, "unmatched")  # a fragment or a heading is not a relocated commitment
    for companion in context.companions:
        if companion.count(" ".join(tokens)) or _fuzzy(tokens, companion, _FOUND_SIMILARITY):
            return _Fate(sentence, "companion")
    if len(tokens) >= _FUZZY_MIN_TOKENS:
        match = context.new.best_match(tokens, _RECOMMENDATION_SIMILARITY)
        if match and _is_recommendation(match[1], context):
            return _Fate(sentence, "recommendation", match[1].text)
    return _Fate(sentence, "unmatched")


def _fate_of_inserted(sentence: str, context: _Context) -> _Fate:
    """Look for an inserted sentence in the old text."""
    return _find(sentence, _canon_tokens(sentence), context.new, context.old) or _Fate(sentence, "unmatched")


def _find(sentence: str, tokens: list[str], own: _DocIndex, other: _DocIndex) -> _Fate | None:
    """A move: the sentence unchanged (canonically) or nearly unchanged in the other version."""
    if _found_unchanged(" ".join(tokens), own, other):
        return _Fate(sentence, "moved")
    match = _fuzzy(tokens, other, _FOUND_SIMILARITY)
    return _Fate(sentence, "moved", match.text) if match else None


def _fuzzy(tokens: list[str], index: _DocIndex, threshold: float) -> _Sentence | None:
    """The best similar sentence of a long enough query, if any."""
    if len(tokens) < _FUZZY_MIN_TOKENS:
        return None
    match = index.best_match(tokens, threshold)
    return match[1] if match else None


def _is_recommendation(sentence: _Sentence, context: _Context) -> bool:
    """A sentence worded as advice to others, or under a recommendations heading."""
    heading = context.new.heading_at(sentence.start) or ""
    return bool(context.taxonomy.signals.recommendation.search(sentence.text)
                or re.search(r"recommend", heading, re.IGNORECASE))


def _moved_pair_signals(fates: Sequence[_Fate], signals: Signals, *, deleted: bool) -> list[_Signal]:
    """Direction signals between moved sentences and their slightly edited counterparts."""
    out: list[_Signal] = []
    for fate in fates:
        if fate.where == "moved" and fate.counterpart is not None:
            old, new = (fate.sentence, fate.counterpart) if deleted else (fate.counterpart, fate.sentence)
            out += [_Signal(s.direction, f"moved and edited: {s.reason}")
                    for s in _signals(old, new, signals)]
    return out


def _relocation_note(fate: _Fate) -> str:
    """The reason for one relocated sentence."""
    if fate.where == "companion":
        return f"found in a companion document: '{_quote(fate.sentence)}'"
    return (f"commitment turned into an industry recommendation: '{_quote(fate.sentence)}' -> "
            f"'{_quote(fate.counterpart or '')}'")


def _carries_commitment(text: str, taxonomy: Taxonomy) -> bool:
    """Commitment wording (the obligation scale or present-tense practice) or a tag I-VIII; not a heading."""
    if _heading_title(text) is not None:
        return False
    return _baseline_rung(text, taxonomy.signals) is not None or any(
        tag != "X" for tag in map(_parent_tag, taxonomy.tags_of(text)))


def _suspension_clauses(text: str, signals: Signals) -> list[str]:
    """Suspension conditions (competitor clause, may adjust, exemption, discretion) found in text."""
    return [match.group(0) for label, pattern in signals.escape_clauses if label in _SUSPENSION_CLAUSES
            for match in [pattern.search(text)] if match]


def _quote(text: str) -> str:
    """A sentence shortened for a reason string."""
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE_CHARS else text[:_QUOTE_CHARS - 3].rstrip() + "..."


def _dropped_sentences(old_sentences: Sequence[str], new_sentences: Sequence[str],
                       context: _Context) -> list[_Signal]:
    """In a multi-sentence rewrite: commitment sentences with no counterpart left or right."""
    if len(old_sentences) < 2 and len(new_sentences) < 2:
        return []
    signals: list[_Signal] = []
    for sentence in old_sentences:
        if (_unmatched(sentence, new_sentences, context.old, context.new)
                and _carries_commitment(sentence, context.taxonomy)):
            signals.append(_Signal("weaken", f"commitment sentence dropped: '{_quote(sentence)}'"))
    for sentence in new_sentences:
        if (_unmatched(sentence, old_sentences, context.new, context.old)
                and _carries_commitment(sentence, context.taxonomy)):
            signals.append(_Signal("strengthen", f"commitment sentence added: '{_quote(sentence)}'"))
    return signals


def _unmatched(sentence: str, others: Sequence[str], own: _DocIndex, other: _DocIndex) -> bool:
    """No sentence of others shares half its words, and the other version does not have it either."""
    tokens = _canon_tokens(sentence)
    if len(set(tokens)) < 5:
        return False
    for candidate in others:
        theirs = set(_canon_tokens(candidate))
        if 2 * len(set(tokens) & theirs) / (len(set(tokens)) + len(theirs)) >= 0.5:
            return False
    return _find(sentence, tokens, own, other) is None


# --- the signal rules: each compares an old and a new passage ---

def _signals(old: str, new: str, signals: Signals) -> list[_Signal]:
    """Every signal any rule of _SIGNAL_RULES finds between old and new."""
    return [signal for rule in _SIGNAL_RULES for signal in rule(old, new, signals)]


def _rung_matches(text: str, signals: Signals) -> Counter[tuple[int, str]]:
    """(rung, phrase) of every obligation word in text."""
    return Counter((rung, " ".join(m.group(0).lower().split()))
                   for rung, pattern in signals.rungs for m in pattern.finditer(text))


def _baseline_rung(text: str, signals: Signals) -> int | None:
    """The strongest obligation in text, present-tense practice counting as rung 1 (codebook 11.1)."""
    rungs = [rung for rung, _ in _rung_matches(text, signals) if rung <= 3]
    if signals.present_tense.search(text):
        rungs.append(1)
    return min(rungs) if rungs else None


def _obligation_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """The obligation moved down the scale (will -> may: weaker) or up (may -> will: stronger)."""
    old_rungs, new_rungs = _rung_matches(old, signals), _rung_matches(new, signals)
    removed, added = old_rungs - new_rungs, new_rungs - old_rungs
    if removed and added:
        before, after = min(removed), min(added)
    elif added:
        base = _baseline_rung(old, signals)
        if base is None:
            return
        before, after = (base, _phrase_of_rung(old, base, signals)), min(added)
    elif removed:
        base = _baseline_rung(new, signals)
        if base is None:
            return
        before, after = min(removed), (base, _phrase_of_rung(new, base, signals))
    else:
        return
    if after[0] > before[0]:
        yield _Signal("weaken", f"obligation {before[1]} -> {after[1]} (weaker)")
    elif after[0] < before[0]:
        yield _Signal("strengthen", f"obligation {before[1]} -> {after[1]} (stronger)")


def _phrase_of_rung(text: str, rung: int, signals: Signals) -> str:
    """The first phrase of that rung in text, or "present tense" for present-tense practice."""
    phrases = [phrase for r, phrase in _rung_matches(text, signals) if r == rung]
    return phrases[0] if phrases else "present tense"


def _escape_clause_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """An escape clause (competitor condition, 'as appropriate', 'unless'...) added or removed."""
    if not _mentioned(signals.escape_clauses, old, new):
        return
    for _label, pattern in signals.escape_clauses:
        added, removed = _label_added_and_removed(pattern, old, new)
        if added:
            yield _Signal("weaken", f"escape clause added: '{added[0]}'")
        elif removed:
            yield _Signal("strengthen", f"escape clause removed: '{removed[0]}'")


def _named_party_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """A named external party or decision body removed (weaker) or added (stronger)."""
    generic, _ = _added_and_removed(signals.generic_bodies, old, new)
    parties = (*signals.external_parties, *signals.named_bodies)
    if not _mentioned(parties, old, new):
        return
    for _label, pattern in parties:
        added, removed = _label_added_and_removed(pattern, old, new)
        if removed:
            replaced = f" (replaced by generic '{generic[0]}')" if generic else ""
            yield _Signal("weaken", f"named party removed: '{removed[0]}'{replaced}")
        elif added:
            yield _Signal("strengthen", f"named party added: '{added[0]}'")


def _halt_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """A halt verb (pause, stop, not deploy) replaced by a proceed verb, or the reverse."""
    halts_added, halts_removed = _added_and_removed(signals.halt, old, new)
    proceeds_added, proceeds_removed = _added_and_removed(
        signals.proceed, signals.halt.sub(" ", old), signals.halt.sub(" ", new))
    if halts_removed and not halts_added:
        if proceeds_added:
            yield _Signal("weaken", f"halt verb '{halts_removed[0]}' replaced by '{proceeds_added[0]}'")
        else:
            yield _Signal("weaken", f"halt verb removed: '{halts_removed[0]}'")
    elif halts_added and not halts_removed:
        if proceeds_removed:
            yield _Signal("strengthen", f"proceed verb '{proceeds_removed[0]}' replaced by halt verb "
                                        f"'{halts_added[0]}'")
        else:
            yield _Signal("strengthen", f"halt verb added: '{halts_added[0]}'")


def _disclosure_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """Publishing narrowed to private sharing, a publication duty removed, or one added."""
    published_added, published_removed = _added_and_removed(signals.publication, old, new)
    shared_added, _ = _added_and_removed(signals.private_sharing, old, new)
    if published_removed and not published_added:
        narrowed = f" -> '{shared_added[0]}'" if shared_added else ""
        yield _Signal("weaken", f"disclosure narrowed: '{published_removed[0]}'{narrowed}")
    elif published_added and not published_removed:
        yield _Signal("strengthen", f"disclosure widened: '{published_added[0]}'")


def _risk_domain_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """A risk domain dropped from (weaker) or added to (stronger) the scope."""
    if not _mentioned(signals.risk_domains, old, new):
        return
    for label, pattern in signals.risk_domains:
        added, removed = _label_added_and_removed(pattern, old, new)
        if removed:
            yield _Signal("weaken", f"risk domain removed: '{label}'")
        elif added:
            yield _Signal("strengthen", f"risk domain added: '{label}'")


def _recommendation_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """A commitment reworded as advice to the industry ("we recommend that developers...")."""
    added, _ = _added_and_removed(signals.recommendation, old, new)
    own_removed = [rung for rung, _ in _rung_matches(old, signals) - _rung_matches(new, signals) if rung <= 2]
    present_tense_lost = bool(signals.present_tense.search(old)) and not signals.present_tense.search(new)
    if added and (own_removed or present_tense_lost) and len(_passage_sentences(old)) <= 3:
        yield _Signal("relocate", f"commitment turned into an industry recommendation: '{added[0]}'")


def _added_and_removed(pattern: _Matcher, old: str, new: str) -> tuple[list[str], list[str]]:
    """Matches of pattern found more often in new (added) and more often in old (removed), as shown."""
    old_found, old_shown = _matches(pattern, old)
    new_found, new_shown = _matches(pattern, new)
    return ([new_shown[key] for key in new_found - old_found],
            [old_shown[key] for key in old_found - new_found])


def _label_added_and_removed(pattern: _Matcher, old: str, new: str) -> tuple[list[str], list[str]]:
    """Like _added_and_removed, but counting every wording of one label as the same thing.

    "AI Safety Institute" -> "AISI" is a rename, not a removal: only a change in how often the label
    occurs counts, and the reason quotes a wording that differs.
    """
    added, removed = _added_and_removed(pattern, old, new)
    difference = len(list(pattern.finditer(new))) - len(list(pattern.finditer(old)))
    return (added or ["?"]) if difference > 0 else [], (removed or ["?"]) if difference < 0 else []


def _matches(pattern: _Matcher, text: str) -> tuple[Counter[str], dict[str, str]]:
    """Canonical forms of the matches with their counts, and the first way each was written."""
    found: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for match in pattern.finditer(text):
        key = _canon(match.group(0))
        found[key] += 1
        shown.setdefault(key, " ".join(match.group(0).split()))
    return found, shown


# --- numbers ---

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                 "thirty": 30, "fifty": 50, "hundred": 100, "twice": 2}
_QUANTITY = re.compile(
    r"(?<![\w.])(?P<value>10\^\d+|\d+(?:,\d{3})*(?:\.\d+)?(?:e\d+)?|"
    + "|".join(_NUMBER_WORDS) + r")(?P<unit>\s*(?:%|percent\b|x\b|\u00d7|times\b|-?fold\b))?(?![\w.]\d)",
    re.IGNORECASE)
_TIME_UNIT = re.compile(r"^\s*(?:business |calendar |working )?(?:days?|weeks?|months?|years?|hours?)\b",
                        re.IGNORECASE)
_LABEL_BEFORE = re.compile(r"(?:section|appendix|figure|table|page|footnote|version|v|step|phase|tier|"
                           r"level|asl|sl|chapter|part|annex|item|no\.?|§|ccl|tcl)[\s-]*$", re.IGNORECASE)
_COMPARISON_BEFORE = re.compile(
    r"(?:\b(?:than|at least|at most|above|below|under|over|exceed(?:s|ed|ing)?|up to|reach(?:es|ed)?|of|by|"
    r"to|from|within|every|minimum|maximum|approximately|about|around|only|all|roughly)|[<>≤≥=~])\s*$",
    re.IGNORECASE)
_COUNTED_NOUN = re.compile(
    r"\s*(?:FLOPs?|FLOP/s|parameters|tokens|employees|staff|people|persons|experts|evaluators|members|"
    r"trials|attempts|samples|runs|instances|points|percentage points|orders? of magnitude|times)\b",
    re.IGNORECASE)
_ONE_IN = re.compile(r"\b1\s+(?:in|out of)\s*$", re.IGNORECASE)
_QUALITATIVE = re.compile(r"\b(?:substantial(?:ly)?|significant(?:ly)?|meaningful(?:ly)?|material(?:ly)?|"
                          r"considerabl[ey]|notabl[ey]|marked(?:ly)?|historical|sufficient(?:ly)?|"
                          r"reasonabl[ey]|appropriate|high|low|large|small|many|several|few)\b",
                          re.IGNORECASE)


@dataclass(frozen=True)
class _Quantity:
    """A number in a passage, with what surrounds it."""

    value: float
    shown: str
    unit: str  # "%", "x", "times"... or ""
    before: str  # up to 40 characters before
    after: str  # up to 30 characters after


def _quantities(text: str) -> list[_Quantity]:
    """The numbers of a passage that are quantities: with a unit, a comparison before or a count noun after.

    Section and list numbers, versions, dates and footnote marks are not quantities.
    """
    out = []
    for match in _QUANTITY.finditer(text):
        before = text[max(0, match.start() - 40):match.start()]
        after = text[match.end():match.end() + 30]
        if _LABEL_BEFORE.search(before) or _DATE.search(text[max(0, match.start() - 12):match.end() + 12]):
            continue
        quantity = _Quantity(_number_value(match["value"]), match.group(0).strip(),
                             (match["unit"] or "").strip(), before, after)
        compared = _COMPARISON_BEFORE.search(before) or _ONE_IN.search(before)
        if quantity.unit or _TIME_UNIT.match(after) or _COUNTED_NOUN.match(after) or (
                compared and not match["value"].isalpha()):
            out.append(quantity)
    return out


def _number_value(raw: str) -> float:
    """The numeric value of "1,000", "2.5", "10^26", "1e26", "six"."""
    raw = raw.lower().replace(",", "")
    if raw in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[raw])
    if raw.startswith("10^"):
        return 10.0 ** int(raw[3:])
    return float(raw)


def _number_signals(old: str, new: str, signals: Signals) -> Iterator[_Signal]:
    """Numbers changed, dropped for words ('2x' -> 'substantially'), or added, read in their context."""
    old_q, new_q = _quantities(old), _quantities(new)
    if not old_q and not new_q:
        return
    threshold_sentence = bool(signals.higher_is_laxer.search(old + " " + new))
    where = "in threshold sentence" if threshold_sentence else ""
    matcher = difflib.SequenceMatcher(a=[q.shown.lower() for q in old_q], b=[q.shown.lower() for q in new_q],
                                      autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        pairs = list(zip(old_q[i1:i2], new_q[j1:j2], strict=False))  # extra ones: dropped or added
        for a, b in pairs:
            if a.value != b.value:
                yield _number_change(a, b, where, signals)
        for a in old_q[i1 + len(pairs):i2]:
            if threshold_sentence or _has_unit(a):
                words = _replacement_words(old, new, a.shown)
                yield (_Signal("weaken", f"number replaced by qualitative wording: '{a.shown}' -> '{words}'")
                       if words else _Signal("weaken", f"quantitative anchor removed: '{a.shown}'"))
        for b in new_q[j1 + len(pairs):j2]:
            if threshold_sentence or _has_unit(b):
                yield _Signal("strengthen", f"quantitative anchor added: '{b.shown}'")


def _has_unit(quantity: _Quantity) -> bool:
    """A percentage, a multiple, or a span of time: a quantity even outside threshold sentences."""
    return bool(quantity.unit or _TIME_UNIT.match(quantity.after))


def _number_change(a: _Quantity, b: _Quantity, where: str, signals: Signals) -> _Signal:
    """The direction of one changed number, from its unit and the words before it."""
    label = f"number changed{' ' + where if where else ''}: {a.shown} -> {b.shown}"
    higher = b.value > a.value
    if _TIME_UNIT.match(b.after) or _TIME_UNIT.match(a.after):
        stricter = not higher  # a deadline or a cadence: later or less often is laxer
    elif 1900 <= a.value <= 2100 and 1900 <= b.value <= 2100 and signals.deadline.search(a.before):
        stricter = not higher  # a year in a deadline
    elif _ONE_IN.search(a.before):
        stricter = higher  # "1 in 10,000": a rarer tolerated event
    elif signals.higher_is_stricter.search(a.before[-25:]):
        stricter = higher  # a minimum to meet
    elif where or signals.higher_is_laxer.search(a.before):
        stricter = not higher  # a capability threshold or tolerated rate
    else:
        return _Signal("neutral", label)
    return (_Signal("strengthen", f"{label} (stronger)") if stricter
            else _Signal("weaken", f"{label} (weaker)"))


def _replacement_words(old: str, new: str, shown: str) -> str:
    """The qualitative words the new text puts where a number was, if any."""
    old_words, new_words = old.split(), new.split()
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "delete") and shown.split()[0] in " ".join(old_words[i1:i2]):
            inserted = " ".join(new_words[j1:j2])
            if _QUALITATIVE.search(inserted):
                return inserted.strip(".,;:()")
            nearby = " ".join(new_words[max(0, j1 - 3):j2 + 3])
            if match := _QUALITATIVE.search(nearby):
                return match.group(0)
    return ""


_SignalRule = Callable[[str, str, Signals], Iterable[_Signal]]

# The direction rules, one a line: each compares the old and the new passage.
_SIGNAL_RULES: tuple[_SignalRule, ...] = (
    _obligation_signals,  # will -> may, present tense -> aim to
    _escape_clause_signals,  # 'if another developer...', 'as appropriate', 'unless', 'may adjust'
    _number_signals,  # 50% -> 70% in a threshold sentence, '2x' -> 'substantially'
    _named_party_signals,  # 'AISI' removed, named council -> 'appropriate governance function'
    _halt_signals,  # 'pause' -> 'proceed'
    _disclosure_signals,  # 'publish' -> 'share with'
    _risk_domain_signals,  # 'persuasion' dropped from the scope
    _recommendation_signals,  # 'we will' -> 'we recommend that developers'
)


# --- severity ------------------------------------------------------------------------------------

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
