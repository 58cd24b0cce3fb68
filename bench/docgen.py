"""Deterministic benchmark documents: prose-like policy text with headings, rendered as HTML or PDF.

Everything derives from a seed, so the same seed always gives the same bytes. The vocabulary below is
invented for the benchmark; no text is taken from any real company document.

    plan_corpus(seed, count)            -> [DocSpec]   which documents, in which format, how big
    document_blocks(spec)               -> [Block]     headings, paragraphs and list items
    edit_words(blocks, count, seed)     -> [Block]     the same blocks with a few scattered words replaced
    render_html(blocks, title, noise)   -> bytes
    render_pdf(blocks, title)           -> bytes       (fpdf2 with hand-made line wrapping: ~40x faster
                                                        than multi_cell)
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html import escape

from fpdf import FPDF

NOUNS = ("assessment auditor benchmark board capability checkpoint committee commitment control council "
         "dataset deployment disclosure engineer evaluation evidence exercise framework governance "
         "incident indicator inventory laboratory measure milestone mitigation model monitor officer "
         "operator outcome oversight panel partner pipeline practice procedure process protocol register "
         "report requirement researcher review roadmap safeguard sample scenario schedule scope "
         "specialist standard steward system team threshold tooling trial update verifier weights "
         "workflow workshop").split()
VERBS = ("adopts assesses audits calibrates catalogues confirms coordinates defines delays documents "
         "escalates establishes evaluates examines extends identifies informs limits maintains measures "
         "monitors notifies outlines pauses publishes records refines reports requires restricts "
         "reviews revises schedules secures specifies strengthens summarises supervises tests tracks "
         "updates validates verifies").split()
ADJECTIVES = ("accountable annual appropriate careful central comparable consistent critical dedicated "
              "detailed documented elevated emerging external formal frontier independent initial "
              "interim internal layered material measurable narrow periodic preliminary proportionate "
              "quarterly relevant reliable robust scheduled sensitive significant specific staged "
              "structured substantial targeted timely transparent").split()
ADVERBS = ("carefully clearly consistently formally independently jointly periodically promptly "
           "publicly regularly routinely separately systematically transparently").split()
PREPOSITIONS = ("after across before beyond during for within without under through alongside").split()
CONNECTIVES = ("In addition,|Where appropriate,|As a rule,|For each release,|In practice,|Before launch,|"
               "Following any incident,|Unless stated otherwise,|At least once a year,|Where needed,"
               ).split("|")
SECTION_TOPICS = ("Scope|Definitions|Capability Thresholds|Evaluation Procedures|Safeguards|Security "
                  "Controls|Deployment Decisions|Incident Response|Governance|External Review|"
                  "Transparency|Record Keeping|Training Practices|Access Management|Escalation|"
                  "Accountability|Reporting Lines|Review Cadence|Exceptions|Amendments").split("|")
ORGS = ("Aldermoor Labs|Brightwater Research|Cinderfield AI|Driftwood Systems|Elmstead Institute|"
        "Foxglove Computing|Glenrock Intelligence|Hollowbrook AI|Ironvale Research|Juniper Ridge Labs"
        ).split("|")
UNCOUNTABLE = ("evidence", "governance", "oversight", "tooling", "weights")
ALL_WORDS = NOUNS + VERBS + ADJECTIVES + ADVERBS


@dataclass(frozen=True)
class DocSpec:
    """One benchmark document: its index, format ('html' or 'pdf'), target text size and seed."""

    index: int
    fmt: str
    text_bytes: int
    seed: int

    @property
    def slug(self) -> str:
        """The source id and file stem, e.g. 'doc-0007'."""
        return f"doc-{self.index:04d}"

    @property
    def org(self) -> str:
        """A fictional organisation for the source entry."""
        return ORGS[self.index % len(ORGS)]

    @property
    def title(self) -> str:
        """The document title."""
        return f"{self.org} Safety Framework {self.index}"

    @property
    def filename(self) -> str:
        """The file name under the served folder."""
        return f"{self.slug}.{self.fmt}"


@dataclass(frozen=True)
class Block:
    """One block of a document: a heading (level 1-3), a paragraph or a list item."""

    kind: str  # "heading" | "paragraph" | "item"
    text: str
    level: int = 0


def plan_corpus(seed: int, count: int, min_bytes: int = 20_000, max_bytes: int = 200_000) -> list[DocSpec]:
    """`count` documents alternating HTML and PDF, each with a text size drawn in [min_bytes, max_bytes]."""
    rng = random.Random(seed)
    return [DocSpec(i, "html" if i % 2 == 0 else "pdf", rng.randint(min_bytes, max_bytes),
                    rng.randrange(2**32)) for i in range(count)]


def pick_changed(specs: list[DocSpec], share: float, seed: int) -> list[DocSpec]:
    """A deterministic sample of `share` of the documents, half HTML and half PDF where possible."""
    rng = random.Random(seed + 1)
    wanted = round(len(specs) * share)
    by_format = {fmt: [s for s in specs if s.fmt == fmt] for fmt in ("html", "pdf")}
    html_count = min(len(by_format["html"]), wanted - min(len(by_format["pdf"]), wanted // 2))
    chosen = rng.sample(by_format["html"], html_count) + rng.sample(by_format["pdf"], wanted - html_count)
    return sorted(chosen, key=lambda s: s.index)


def plural(noun: str) -> str:
    """A simple English plural."""
    if noun in UNCOUNTABLE:
        return noun
    if noun.endswith("s"):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def sentence(rng: random.Random) -> str:
    """One prose-like sentence from a few templates."""
    noun, noun2, noun3 = rng.choice(NOUNS), rng.choice(NOUNS), rng.choice(NOUNS)
    verb, adj, adj2 = rng.choice(VERBS), rng.choice(ADJECTIVES), rng.choice(ADJECTIVES)
    template = rng.randrange(5)
    if template == 0:
        text = f"the {adj} {noun} {verb} each {noun2} {rng.choice(PREPOSITIONS)} the {adj2} {noun3}"
    elif template == 1:
        text = (f"{rng.choice(CONNECTIVES)} the {noun} {rng.choice(ADVERBS)} {verb} the {adj} {noun2} "
                f"and the {noun3}")
    elif template == 2:
        text = (f"every {noun} {verb} at least {rng.randint(2, 90)} {adj} {plural(noun2)} "
                f"{rng.choice(PREPOSITIONS)} the {noun3} {rng.choice(NOUNS)}")
    elif template == 3:
        text = (f"the {noun} and the {adj} {noun2} {verb} whether the {noun3} {rng.choice(VERBS)} "
                f"the {adj2} {rng.choice(NOUNS)} {rng.choice(PREPOSITIONS)} {rng.randint(5, 60)} days")
    else:
        text = (f"a {adj} {noun} {rng.choice(ADVERBS)} {verb} the {noun2} {rng.choice(PREPOSITIONS)} "
                f"{plural(noun3)}")
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random) -> str:
    """A paragraph of 3 to 8 sentences."""
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 8)))


def document_blocks(spec: DocSpec) -> list[Block]:
    """The blocks of a document, about spec.text_bytes of text in all."""
    rng = random.Random(spec.seed)
    version = f"Version {rng.randint(1, 9)}.{rng.randint(0, 9)}"
    blocks = [Block("heading", spec.title, 1), Block("paragraph", version)]
    size = sum(len(b.text) + 1 for b in blocks)
    for block in _body_blocks(rng):
        if size >= spec.text_bytes:
            break
        blocks.append(block)
        size += len(block.text) + 1
    return blocks


def _body_blocks(rng: random.Random) -> Iterator[Block]:
    """An endless run of numbered sections, subsections, paragraphs and short lists."""
    section = 0
    while True:
        section += 1
        yield Block("heading", f"{section}. {rng.choice(SECTION_TOPICS)}", 2)
        for sub in range(1, rng.randint(2, 5)):
            yield Block("heading", f"{section}.{sub} {rng.choice(ADJECTIVES).capitalize()} "
                                   f"{plural(rng.choice(NOUNS))}", 3)
            for _ in range(rng.randint(2, 5)):
                yield Block("paragraph", paragraph(rng))
            if rng.random() < 0.3:
                for _ in range(rng.randint(2, 5)):
                    yield Block("item", sentence(rng))


def edit_words(blocks: list[Block], count: int, seed: int) -> list[Block]:
    """The blocks with `count` words, in scattered paragraphs, replaced by other vocabulary words."""
    rng = random.Random(seed)
    edited = list(blocks)
    candidates = [i for i, b in enumerate(blocks) if b.kind == "paragraph" and len(b.text.split()) > 10]
    for index in sorted(rng.sample(candidates, min(count, len(candidates)))):
        words = edited[index].text.split(" ")
        position = rng.randrange(1, len(words) - 1)
        old = words[position]
        core = old.rstrip(".,")
        new = rng.choice([w for w in ALL_WORDS if w != core])
        words[position] = new + old[len(core):]
        edited[index] = replace(edited[index], text=" ".join(words))
    return edited


def text_of(blocks: list[Block]) -> str:
    """The plain text of the blocks, one per line."""
    return "\n".join(block.text for block in blocks) + "\n"


def render_html(blocks: list[Block], title: str, noise: str = "") -> bytes:
    """An HTML page with the blocks in <main>, plus navigation, a script and a footer around it."""
    body: list[str] = []
    in_list = False
    for block in blocks:
        if block.kind == "item" and not in_list:
            body.append("<ul>")
            in_list = True
        elif block.kind != "item" and in_list:
            body.append("</ul>")
            in_list = False
        body.append(_html_block(block))
    if in_list:
        body.append("</ul>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width">
<link rel="stylesheet" href="/static/site.css">
<script>window.__BUILD = "{noise}";</script></head>
<body>
<header class="site"><nav><a href="/">Home</a> <a href="/research">Research</a> <a href="/policy">Policy</a>
<a href="/careers">Careers</a></nav></header>
<main><article>
{chr(10).join(body)}
</article></main>
<footer><p>Fictional benchmark organisation.
<a href="/privacy">Privacy</a> <a href="/terms">Terms</a></p></footer>
</body></html>
"""
    return page.encode("utf-8")


def _html_block(block: Block) -> str:
    """One block as an HTML element."""
    text = escape(block.text)
    if block.kind == "heading":
        return f"<h{block.level}>{text}</h{block.level}>"
    if block.kind == "item":
        return f"<li>{text}</li>"
    return f"<p>{text}</p>"


FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
PDF_FONT_SIZES = {1: 18.0, 2: 14.0, 3: 12.0, 0: 10.0}


def render_pdf(blocks: list[Block], title: str) -> bytes:
    """A PDF of the blocks (Helvetica, A4), with a running header and page numbers."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_title(title)
    pdf.set_creator("watcher bench")
    pdf.set_creation_date(FIXED_DATE)  # a fixed timestamp: the same blocks give the same bytes
    layout = _PdfLayout(pdf, title)
    for block in blocks:
        layout.block(block)
    layout.finish_page()
    return bytes(pdf.output())


class _PdfLayout:
    """Hand-made line wrapping onto fpdf2 pages (multi_cell is ~40x slower for long documents)."""

    MARGIN = 56.0

    def __init__(self, pdf: FPDF, title: str) -> None:
        self.pdf = pdf
        self.title = title
        self.widths: dict[tuple[float, str], float] = {}
        self.y = 0.0
        self.page = 0
        self.new_page()

    @property
    def text_width(self) -> float:
        """The usable line width in points."""
        return self.pdf.w - 2 * self.MARGIN

    def new_page(self) -> None:
        """Finish the current page (its footer) and start the next one with its running header."""
        if self.page:
            self.finish_page()
        self.pdf.add_page()
        self.page += 1
        self.pdf.set_font("Helvetica", size=8)
        self.pdf.text(self.MARGIN, self.MARGIN - 20, self.title)
        self.y = self.MARGIN

    def finish_page(self) -> None:
        """Write the page number at the bottom."""
        self.pdf.set_font("Helvetica", size=8)
        self.pdf.text(self.pdf.w / 2 - 10, self.pdf.h - self.MARGIN + 24, f"Page {self.page}")

    def width(self, size: float, word: str) -> float:
        """The width of a word at a font size (cached)."""
        key = (size, word)
        if key not in self.widths:
            self.pdf.set_font("Helvetica", "B" if size > 10 else "", size)
            self.widths[key] = self.pdf.get_string_width(word)
        return self.widths[key]

    def block(self, block: Block) -> None:
        """Lay out one block: wrapped lines, then a gap."""
        size = PDF_FONT_SIZES[block.level if block.kind == "heading" else 0]
        indent = 14.0 if block.kind == "item" else 0.0
        words = (["-"] if block.kind == "item" else []) + block.text.split()
        if block.kind == "heading":
            self.y += size * 0.6
        for line in self.wrap(words, size, self.text_width - indent):
            self.line(line, size, indent)
        self.y += size * 0.7

    def wrap(self, words: list[str], size: float, width: float) -> Iterator[str]:
        """Greedy word wrapping at this font size."""
        space = self.width(size, " ")
        line: list[str] = []
        used = 0.0
        for word in words:
            needed = self.width(size, word)
            if line and used + space + needed > width:
                yield " ".join(line)
                line, used = [], 0.0
            used = used + space + needed if line else needed
            line.append(word)
        if line:
            yield " ".join(line)

    def line(self, text: str, size: float, indent: float) -> None:
        """Write one line at the current position, breaking the page when it is full."""
        leading = size * 1.3
        if self.y + leading > self.pdf.h - self.MARGIN:
            self.new_page()
        self.y += leading
        self.pdf.set_font("Helvetica", "B" if size > 10 else "", size)
        self.pdf.text(self.MARGIN, self.y, text)
