"""The benchmark corpus on disk: every document's original and edited bytes, cached under bench/out/.

    corpus = build_corpus(out_dir, seed=1, count=500, change_share=0.1, words_changed=5)
    corpus.original(spec), corpus.edited(spec)    -> Path of the bytes to serve
    publish(corpus, site_dir, edited=False)       -> put the originals (or the edits) in the served folder

The cache folder's name includes the parameters and a hash of docgen.py, so changing either makes a new
one; manifest.json is written last and marks a complete corpus.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import docgen
from docgen import DocSpec

SITE_PREFIX = "docs"


@dataclass(frozen=True)
class Corpus:
    """Generated documents in `folder`: original/ for every document, edited/ for the changed ones."""

    folder: Path
    specs: list[DocSpec]
    changed: list[DocSpec]
    generation_seconds: float
    cached: bool

    def original(self, spec: DocSpec) -> Path:
        """The first version of a document."""
        return self.folder / "original" / spec.filename

    def edited(self, spec: DocSpec) -> Path:
        """The edited version of a changed document."""
        return self.folder / "edited" / spec.filename

    def url_path(self, spec: DocSpec) -> str:
        """The path the document is served under."""
        return f"/{SITE_PREFIX}/{spec.filename}"

    def bytes_by_format(self) -> dict[str, int]:
        """Total size of the original files, by format."""
        totals: dict[str, int] = {}
        for spec in self.specs:
            totals[spec.fmt] = totals.get(spec.fmt, 0) + self.original(spec).stat().st_size
        return totals


def cache_key(seed: int, count: int, change_share: float, words_changed: int) -> str:
    """The cache folder name for these parameters and this version of docgen.py."""
    source_hash = hashlib.sha256(Path(docgen.__file__).read_bytes()).hexdigest()[:10]
    return f"corpus-s{seed}-n{count}-c{change_share:g}-w{words_changed}-{source_hash}"


def build_corpus(out_dir: Path, *, seed: int, count: int, change_share: float, words_changed: int) -> Corpus:
    """The corpus for these parameters, generated now or loaded from the cache."""
    folder = out_dir / cache_key(seed, count, change_share, words_changed)
    manifest = folder / "manifest.json"
    specs = docgen.plan_corpus(seed, count)
    changed = docgen.pick_changed(specs, change_share, seed)
    if manifest.exists():
        seconds = json.loads(manifest.read_text())["generation_seconds"]
        return Corpus(folder, specs, changed, seconds, cached=True)
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    changed_ids = {spec.index for spec in changed}
    for spec in specs:
        write_document(folder, spec, words_changed if spec.index in changed_ids else 0)
    seconds = time.perf_counter() - started
    manifest.write_text(json.dumps({"generation_seconds": seconds, "specs": [asdict(s) for s in specs],
                                    "changed": [s.index for s in changed]}, indent=1))
    return Corpus(folder, specs, changed, seconds, cached=False)


def write_document(folder: Path, spec: DocSpec, words_changed: int) -> None:
    """Write a document's original and, when words_changed > 0, its edited version."""
    blocks = docgen.document_blocks(spec)
    _write(folder / "original" / spec.filename, render(spec, blocks))
    if words_changed:
        edited = docgen.edit_words(blocks, words_changed, spec.seed + 1)
        _write(folder / "edited" / spec.filename, render(spec, edited))


def render(spec: DocSpec, blocks: list[docgen.Block]) -> bytes:
    """The blocks in the document's format."""
    if spec.fmt == "pdf":
        return docgen.render_pdf(blocks, spec.title)
    return docgen.render_html(blocks, spec.title, noise=spec.slug)


def publish(corpus: Corpus, site: Path, *, edited: bool = False) -> None:
    """Put every original (edited=False) or the edited versions (edited=True) in the served folder."""
    target = site / SITE_PREFIX
    target.mkdir(parents=True, exist_ok=True)
    for spec in corpus.changed if edited else corpus.specs:
        source = corpus.edited(spec) if edited else corpus.original(spec)
        _copy_atomically(source, target / spec.filename)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _copy_atomically(source: Path, destination: Path) -> None:
    """Replace destination with a copy of source in one rename (the server never sees half a file)."""
    temporary = destination.with_name(f".{destination.name}.tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, destination)
