"""The rounds of the urlwatch comparison: what each document does between rounds, and the ground truth.

Round 0 serves every document as generated (the baseline). Before each later round the plan picks, from
the documents that did not fail in the previous round, disjoint sets:

    substantive  a word replaced, a sentence added, a paragraph added, a paragraph removed
    noise        HTML: a timestamp in the footer, a build token in an inline script, reflowed whitespace;
                 PDF: re-exported with new metadata (creation date, producer), an export stamp in the footer
    failure      HTTP 503, a hang past both tools' timeouts, a bot challenge served with HTTP 200
and the rest stay as they are. A document that failed is served unchanged in the next round ("recovery").

    plan = plan_rounds(specs, rounds=3, seed=1, ...)      -> [RoundPlan]
    docs = DocumentStates(corpus)                          the current state of every document
    docs.apply(plan[r], site, faults_file)                 write the changed files and the fault table

Everything derives from the seed. Rendering reuses docgen.py; a pristine document is copied from the
cached corpus (corpus.py) rather than rendered again.
"""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docgen
from corpus import SITE_PREFIX, Corpus
from docgen import Block, DocSpec
from fpdf import FPDF
from urlwatch_server import write_faults

SUBSTANTIVE = ("word", "sentence_added", "paragraph_added", "paragraph_removed")
HTML_NOISE = ("footer_timestamp", "script_token", "reflow")
PDF_NOISE = ("metadata", "footer_stamp")
FAILURES = ("503", "challenge", "hang")
CATEGORIES = ("baseline", "substantive", "noise", "failure", "recovery", "unchanged")


@dataclass(frozen=True)
class Event:
    """What happens to one document before one round: a category and its detail (e.g. noise/reflow)."""

    category: str
    detail: str = ""


@dataclass
class RoundPlan:
    """The events of one round, by document slug (documents not listed are unchanged)."""

    number: int
    events: dict[str, Event] = field(default_factory=dict)

    def truth(self, slugs: list[str]) -> dict[str, Event]:
        """The event of every document in this round."""
        default = Event("baseline") if self.number == 0 else Event("unchanged")
        return {slug: self.events.get(slug, default) for slug in slugs}

    def count(self, category: str) -> int:
        """How many documents have an event of this category."""
        return sum(1 for e in self.events.values() if e.category == category)


@dataclass(frozen=True)
class Shares:
    """How much of the corpus each round changes, and how often and how many documents hang."""

    substantive: float = 0.05
    noise: float = 0.05
    failure: float = 0.03
    hang_every: int = 2
    max_hangs: int = 2


def plan_rounds(specs: list[DocSpec], rounds: int, seed: int, shares: Shares) -> list[RoundPlan]:
    """Round 0 (baseline) and `rounds` more, each with its substantive, noise and failure events."""
    plans = [RoundPlan(0)]
    for number in range(1, rounds + 1):
        rng = random.Random(f"{seed}-round-{number}")
        failed_before = {s for s, e in plans[-1].events.items() if e.category == "failure"}
        plan = RoundPlan(
            number, {slug: Event("recovery", plans[-1].events[slug].detail) for slug in failed_before}
        )
        eligible = [s for s in specs if s.slug not in failed_before]
        rng.shuffle(eligible)
        counts = [
            max(1, round(len(specs) * share)) for share in (shares.substantive, shares.noise, shares.failure)
        ]
        chosen = _split(eligible, counts)
        for i, spec in enumerate(chosen[0]):
            plan.events[spec.slug] = Event("substantive", SUBSTANTIVE[(i + number) % len(SUBSTANTIVE)])
        for i, spec in enumerate(chosen[1]):
            kinds = HTML_NOISE if spec.fmt == "html" else PDF_NOISE
            plan.events[spec.slug] = Event("noise", kinds[(i + number) % len(kinds)])
        hangs = shares.max_hangs if shares.hang_every and number % shares.hang_every == 0 else 0
        for i, spec in enumerate(chosen[2]):
            kind = "hang" if i < hangs else FAILURES[i % 2]
            plan.events[spec.slug] = Event("failure", kind)
        plans.append(plan)
    return plans


def _split(items: list[DocSpec], counts: list[int]) -> list[list[DocSpec]]:
    """Consecutive, disjoint slices of the given sizes (as far as the items go)."""
    slices, start = [], 0
    for count in counts:
        slices.append(items[start : start + count])
        start += count
    return slices


# ---- the state of a document ----------------------------------------------------------------------


@dataclass
class DocState:
    """What a document currently looks like: its edits and the noise around its text."""

    spec: DocSpec
    edits: list[tuple[str, int]] = field(default_factory=list)  # (substantive kind, seed), in order
    footer_stamp: str | None = None  # HTML footer timestamp / PDF footer export stamp
    script_token: str | None = None  # HTML inline-script build token (None: docgen's default)
    reflow_seed: int = 0  # HTML: whitespace of the markup reflowed (0: as docgen writes it)
    pdf_exported: datetime | None = None  # PDF creation date and producer (None: docgen's fixed ones)

    @property
    def pristine(self) -> bool:
        """The document is exactly as the corpus generated it."""
        return (
            not self.edits
            and self.footer_stamp is None
            and self.script_token is None
            and not self.reflow_seed
            and self.pdf_exported is None
        )


class DocumentStates:
    """The state of every document of a corpus, and writing it to the served folder."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.states = {spec.slug: DocState(spec) for spec in corpus.specs}
        self.clock = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def publish_all(self, site: Path) -> None:
        """Serve every document in its current state (round 0: the originals)."""
        target = site / SITE_PREFIX
        target.mkdir(parents=True, exist_ok=True)
        for state in self.states.values():
            self._write(state, target)

    def apply(self, plan: RoundPlan, site: Path, faults_file: Path) -> None:
        """Change the documents of this round's plan, then write the round's fault table."""
        self.clock += timedelta(hours=6)
        target = site / SITE_PREFIX
        for slug, event in sorted(plan.events.items()):
            state = self.states[slug]
            if event.category == "substantive":
                state.edits.append((event.detail, _seed(slug, plan.number)))
            elif event.category == "noise":
                self._add_noise(state, event.detail, plan.number)
            else:
                continue
            self._write(state, target)
        faults = {
            f"/{SITE_PREFIX}/{self.states[s].spec.filename}": e.detail
            for s, e in plan.events.items()
            if e.category == "failure"
        }
        write_faults(faults_file, faults)

    def _add_noise(self, state: DocState, kind: str, number: int) -> None:
        stamp = self.clock + timedelta(seconds=_seed(state.spec.slug, number) % 3600)
        if kind in ("footer_timestamp", "footer_stamp"):
            state.footer_stamp = stamp.strftime("%Y-%m-%d %H:%M:%S UTC")
        elif kind == "script_token":
            state.script_token = f"{_seed(state.spec.slug, number):08x}"
        elif kind == "reflow":
            state.reflow_seed = _seed(state.spec.slug, number) or 1
        elif kind == "metadata":
            state.pdf_exported = stamp
        else:
            raise ValueError(f"unknown noise {kind!r}")

    def _write(self, state: DocState, target: Path) -> None:
        """Write the document's current bytes to the served folder, replacing the file atomically."""
        destination = target / state.spec.filename
        temporary = destination.with_name(f".{destination.name}.tmp")
        if state.pristine:
            shutil.copyfile(self.corpus.original(state.spec), temporary)
        else:
            temporary.write_bytes(render(state))
        temporary.replace(destination)


def _seed(slug: str, number: int) -> int:
    """A deterministic per-document, per-round seed."""
    return random.Random(f"{slug}-{number}").randrange(1, 2**31)


# ---- rendering --------------------------------------------------------------------------------------


def current_blocks(state: DocState) -> list[Block]:
    """The document's blocks with every edit applied, in order."""
    blocks = docgen.document_blocks(state.spec)
    for kind, seed in state.edits:
        blocks = edit(blocks, kind, seed)
    return blocks


def render(state: DocState) -> bytes:
    """The bytes of a document in its current state."""
    blocks = current_blocks(state)
    if state.spec.fmt == "pdf":
        return render_pdf(blocks, state.spec.title, state.pdf_exported, state.footer_stamp)
    page = docgen.render_html(blocks, state.spec.title, noise=state.script_token or state.spec.slug).decode()
    if state.footer_stamp:
        page = page.replace(
            "<footer><p>Fictional benchmark organisation.",
            f"<footer><p>Page generated {state.footer_stamp}. Fictional benchmark organisation.",
        )
    if state.reflow_seed:
        page = reflow(page, state.reflow_seed)
    return page.encode("utf-8")


_PARAGRAPH = re.compile(r"<p>([^<]*)</p>")


def reflow(page: str, seed: int) -> str:
    """The page with the text of its paragraphs re-wrapped in the markup (as an HTML formatter would)."""
    rng = random.Random(seed)
    width = rng.choice((60, 72, 80, 100))

    def wrap(match: re.Match[str]) -> str:
        lines, line = [], ""
        for word in match.group(1).split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        return "<p>\n      " + "\n      ".join(lines) + "\n    </p>"

    return _PARAGRAPH.sub(wrap, page)


def edit(blocks: list[Block], kind: str, seed: int) -> list[Block]:
    """The blocks with one substantive edit."""
    rng = random.Random(seed)
    paragraphs = [
        i for i, b in enumerate(blocks) if b.kind == "paragraph" and i >= 2 and len(b.text.split()) > 10
    ]
    if kind == "word":
        return docgen.edit_words(blocks, 1, seed)
    edited = list(blocks)
    index = rng.choice(paragraphs)
    if kind == "sentence_added":
        edited[index] = replace(edited[index], text=f"{edited[index].text} {docgen.sentence(rng)}")
    elif kind == "paragraph_added":
        edited.insert(index + 1, Block("paragraph", docgen.paragraph(rng)))
    elif kind == "paragraph_removed":
        del edited[index]
    else:
        raise ValueError(f"unknown edit {kind!r}")
    return edited


class _StampedLayout(docgen._PdfLayout):
    """docgen's PDF layout with an export stamp in the footer of every page."""

    def __init__(self, pdf: FPDF, title: str, stamp: str | None) -> None:
        self.stamp = stamp
        super().__init__(pdf, title)

    def finish_page(self) -> None:
        """The page number, and the export stamp when there is one."""
        super().finish_page()
        if self.stamp:
            self.pdf.set_font("Helvetica", size=8)
            self.pdf.text(self.MARGIN, self.pdf.h - self.MARGIN + 24, f"Exported {self.stamp}")


def render_pdf(blocks: list[Block], title: str, exported: datetime | None, stamp: str | None) -> bytes:
    """docgen.render_pdf, with another export date and producer, and an optional footer stamp."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_title(title)
    pdf.set_creator("watcher bench")
    pdf.set_creation_date(exported or docgen.FIXED_DATE)
    if exported:
        pdf.set_producer(f"Bench Exporter {exported:%Y.%m.%d.%H%M}")
    layout = _StampedLayout(pdf, title, stamp)
    for block in blocks:
        layout.block(block)
    layout.finish_page()
    return bytes(pdf.output())
