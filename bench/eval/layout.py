"""A corpus directory laid out like ../shared/corpus, read at run time (nothing is copied).

    documents/<provider>_<doc>_<version>_<date>.txt       one published version (text extraction)
    documents/<provider>_<doc>_<v>-reupload-YYYYMMDD_<date>.txt   same label re-published on YYYYMMDD
    changelogs/<same stem>_revision-account.md            the provider's account of that version
    manifest.csv, pairs.csv, silent_variants.csv, coding/tracing_FINAL.csv   labels

Documents are grouped into streams by (provider, doc): the versions one URL served over time.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

_STEM = re.compile(r"^(?P<provider>[^_]+)_(?P<doc>[^_]+)_(?P<version>[^_]+)_(?P<date>\d{4}-\d{2}-\d{2})$")
_REUPLOAD = re.compile(r"^(?P<base>.+)-reupload-(?P<day>\d{8})$")
_EMPTY = {"", "none", "na", "n/a", "-"}


class CorpusError(Exception):
    """The corpus directory is missing or not laid out as expected."""


def slug(name: str) -> str:
    """'Google DeepMind' -> 'google-deepmind' (how provider names appear in file names)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def text_or_none(value: str | None) -> str | None:
    """A label cell, or None for empty / NONE / NA."""
    value = (value or "").strip()
    return None if value.lower() in _EMPTY else value


@dataclass(frozen=True)
class DocVersion:
    """One published document file of a stream."""

    path: Path
    provider: str  # provider slug as in the file name
    doc: str
    label: str  # the version as in the file name, e.g. "v2.0" or "v2.0-reupload-20241101"
    base_label: str  # "v2.0" for both
    published: date  # the date in the file name (the version's publication date)
    reupload_day: date | None  # set for same-label re-uploads
    account: Path | None  # changelogs/<stem>_revision-account.md if it exists

    @property
    def is_reupload(self) -> bool:
        """Whether this is a same-label re-upload of an earlier file."""
        return self.reupload_day is not None

    @property
    def served_on(self) -> date:
        """The day this file went up at the document's URL."""
        return self.reupload_day or self.published

    @property
    def stem(self) -> str:
        """The file name without .txt."""
        return self.path.stem

    def read(self) -> str:
        """The extracted text (read now, from the corpus)."""
        return self.path.read_text(encoding="utf-8")


@dataclass
class Stream:
    """All versions of one (provider, doc), in the order they were served."""

    provider: str
    doc: str
    versions: list[DocVersion]
    provider_name: str = ""
    title: str = ""
    is_companion: bool = False

    @property
    def key(self) -> str:
        """'<provider>_<doc>' (what --only matches)."""
        return f"{self.provider}_{self.doc}"

    def labels(self) -> list[str]:
        """Version labels in order."""
        return [v.label for v in self.versions]


@dataclass(frozen=True)
class Pair:
    """A row of pairs.csv: a consecutive version pair, traced or not, with the paper's counts."""

    provider: str  # slug
    v_i: str
    v_next: str
    traced: bool
    regime: str
    n_material: int | None
    n_announced: int | None
    n_silent: int | None
    n_ncl: int | None

    @property
    def paper_silent_share(self) -> float | None:
        """(n_silent + n_ncl) / n_material_changes, or None if not traced."""
        if not self.n_material:
            return None
        return ((self.n_silent or 0) + (self.n_ncl or 0)) / self.n_material


@dataclass(frozen=True)
class CodedRow:
    """A coded change of coding/tracing_FINAL.csv, with the adjudicated values where filled."""

    pair_id: str
    provider: str  # slug
    v_i: str
    v_next: str
    commitment_id: str
    category: str
    outcome: str
    material: bool
    announcement: str | None
    v_i_text: str | None
    v_next_text: str | None


@dataclass(frozen=True)
class SilentVariantRow:
    """A row of silent_variants.csv: one differing passage of a same-label re-upload."""

    provider: str  # slug
    base_version: str
    variant_version: str
    material: bool
    category: str


@dataclass
class Corpus:
    """Everything the evaluation needs from a corpus directory."""

    root: Path
    streams: list[Stream]
    pairs: list[Pair] = field(default_factory=list)
    coded: list[CodedRow] = field(default_factory=list)
    silent_variants: list[SilentVariantRow] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)  # documents/*.txt whose names do not fit the layout

    def stream(self, key: str) -> Stream | None:
        """The stream with this key, if any."""
        return next((s for s in self.streams if s.key == key), None)

    def stream_for_pair(self, provider: str, v_i: str, v_next: str) -> Stream | None:
        """The stream of this provider holding both (base) versions; the main document wins a tie."""
        candidates = [s for s in self.streams if s.provider == provider
                      and {v_i, v_next} <= {v.label for v in s.versions}]
        candidates.sort(key=lambda s: s.is_companion)
        return candidates[0] if candidates else None

    def stream_for_variant(self, provider: str, variant: str) -> Stream | None:
        """The stream of this provider that served this re-upload."""
        return next((s for s in self.streams if s.provider == provider
                     and variant in {v.label for v in s.versions}), None)


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _yes(value: str | None) -> bool:
    return (value or "").strip().lower() in ("yes", "y", "true", "1")


def _adjusted(row: dict[str, str], key: str) -> str:
    """ADJ_<key> where filled, else <key>."""
    return (row.get(f"ADJ_{key}") or "").strip() or (row.get(key) or "").strip()


def parse_document_name(path: Path, changelogs: Path) -> DocVersion | None:
    """A DocVersion for documents/<provider>_<doc>_<version>_<date>.txt, None if the name does not fit."""
    match = _STEM.match(path.stem)
    if not match:
        return None
    label = match["version"]
    reupload = _REUPLOAD.match(label)
    day = None
    if reupload:
        raw = reupload["day"]
        day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    account = changelogs / f"{path.stem}_revision-account.md"
    return DocVersion(path=path, provider=match["provider"], doc=match["doc"], label=label,
                      base_label=reupload["base"] if reupload else label,
                      published=date.fromisoformat(match["date"]), reupload_day=day,
                      account=account if account.exists() else None)


def load_corpus(root: Path) -> Corpus:
    """Read the corpus directory; CorpusError with a clear message when it is absent or empty."""
    root = Path(root)
    documents = root / "documents"
    if not root.is_dir():
        raise CorpusError(f"corpus directory {root} does not exist (expected a folder laid out like "
                          "../shared/corpus: documents/, changelogs/, manifest.csv, pairs.csv, "
                          "silent_variants.csv, coding/tracing_FINAL.csv)")
    if not documents.is_dir():
        raise CorpusError(f"{root} has no documents/ folder; not a corpus directory")
    files = sorted(documents.glob("*.txt"))
    parsed = [(p, parse_document_name(p, root / "changelogs")) for p in files]
    versions = [v for _, v in parsed if v is not None]
    if not versions:
        raise CorpusError(f"{documents} holds no <provider>_<doc>_<version>_<date>.txt files")
    manifest = _read_csv(root / "manifest.csv")
    names = {slug(r["provider"]): r["provider"] for r in manifest if r.get("provider")}
    by_file = {Path(r.get("txt_filename") or "").name: r for r in manifest if r.get("txt_filename")}
    grouped: dict[tuple[str, str], list[DocVersion]] = {}
    for v in versions:
        grouped.setdefault((v.provider, v.doc), []).append(v)
    streams = []
    for (provider, doc), members in sorted(grouped.items()):
        # Served order: by the day the file went up; a re-upload after its base; ties by label.
        members.sort(key=lambda v: (v.served_on, v.is_reupload, v.label))
        rows = [by_file[v.path.name] for v in members if v.path.name in by_file]
        title = next((r["document"] for r in reversed(rows) if r.get("document")), doc)
        streams.append(Stream(provider=provider, doc=doc, versions=members,
                              provider_name=names.get(provider, provider), title=title,
                              is_companion=any(_yes(r.get("is_companion")) for r in rows)))
    corpus = Corpus(root=root, streams=streams, unparsed=[p.name for p, v in parsed if v is None])
    for r in _read_csv(root / "pairs.csv"):
        corpus.pairs.append(Pair(provider=slug(r["provider"]), v_i=r["v_i"].strip(), v_next=r["v_next"].strip(),
                                 traced=_yes(r.get("traced")), regime=r.get("disclosure_regime", ""),
                                 n_material=_int(r.get("n_material_changes")),
                                 n_announced=_int(r.get("n_announced")), n_silent=_int(r.get("n_silent")),
                                 n_ncl=_int(r.get("n_ncl"))))
    for r in _read_csv(root / "coding" / "tracing_FINAL.csv"):
        corpus.coded.append(CodedRow(
            pair_id=r["pair_id"], provider=slug(r["provider"]), v_i=r["v_i"].strip(), v_next=r["v_next"].strip(),
            commitment_id=r.get("commitment_id", ""), category=r.get("category", ""),
            outcome=_adjusted(r, "outcome").upper(), material=_yes(_adjusted(r, "material")),
            announcement=text_or_none(_adjusted(r, "announcement")),
            v_i_text=text_or_none(r.get("v_i_text")), v_next_text=text_or_none(r.get("v_next_text"))))
    for r in _read_csv(root / "silent_variants.csv"):
        corpus.silent_variants.append(SilentVariantRow(
            provider=slug(r["provider"]), base_version=r["base_version"].strip(),
            variant_version=r["variant_version"].strip(), material=_yes(r.get("material")),
            category=r.get("category", "")))
    return corpus
