"""Corpus text files rendered as a provider would publish them: an HTML page or a PDF, plus site noise.

A corpus .txt is a PDF text extraction: `[[page N]]` markers, `## ` before headings, hard-wrapped lines,
the original running headers / footers and page numbers as plain lines. `blocks()` turns it into
headings, paragraphs and list items:

- `[[page N]]` lines are dropped (the page number is kept on each block for the PDF's page breaks);
- page furniture of the extraction is dropped: at the top or bottom of a page, a bare page number
  ("12", "Page 3", "3 of 20", "iv") or a line that recurs at page edges on at least three pages and a
  quarter of them once digits are ignored ("Responsible Scaling Policy, Anthropic", "Framework | 4");
- `## ` lines become headings (consecutive ones, a heading wrapped over lines, are joined);
- other lines are joined into paragraphs; a blank line or a heading ends a paragraph; a line that
  starts with a bullet glyph (or is only one) starts a list item; "word-" at a line end joins the next
  line without a space ("pre-" + "deployment");
- a paragraph cut by a page break (no closing punctuation before it, a lower-case start after it) is
  joined again, and so is a word hyphenated across a blank line ("infrastruc-" + "ture," stays
  "infrastruc-ture,", like any line-end hyphen).

`render_html` wraps the blocks in a page whose navigation, cookie banner, footer, inline scripts and
build ids change on every render; `render_pdf` lays them out with fpdf2 (DejaVu fonts when installed),
a running header and page numbers, with producer, creation date and document id changing per render.
Nothing here is ever written into the project: renders are served from memory.
"""

from __future__ import annotations

import html
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FONTS = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

_PAGE_MARK = re.compile(r"^\[\[page\s+(\d+)\]\]\s*$")
_HEADING = re.compile(r"^(#{1,6})(?:\s+(.*))?$")
_BULLET_GLYPHS = "•●○◦▪■□‣∙"  # always a list item
_AMBIGUOUS_GLYPHS = "·–—*-"  # a list item only after a blank line, a colon or another item (else a dash)
_BULLET_LINE = re.compile(rf"^\s*([{re.escape(_BULLET_GLYPHS)}]|[{re.escape(_AMBIGUOUS_GLYPHS)}](?=\s|$))\s*(.*)$")
_FENCE = re.compile(r"^\s*```")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$|^[ivxlc]{1,6}$", re.IGNORECASE)
_TERMINAL = tuple(".:;!?\"”’)]")


@dataclass
class Block:
    """A heading (level 1-6), paragraph ("p") or list item ("li"), with the page it starts on."""

    kind: str  # "h", "p" or "li"
    text: str
    page: int = 1
    level: int = 2


def _furniture_key(line: str) -> str:
    line = re.sub(r"^#+\s*", "", line.strip())
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", line)).strip().lower()


def _pages(text: str) -> list[tuple[int, list[str]]]:
    pages: list[tuple[int, list[str]]] = [(1, [])]
    for line in text.splitlines():
        mark = _PAGE_MARK.match(line.strip())
        if mark:
            pages.append((int(mark.group(1)), []))
        else:
            pages[-1][1].append(line.rstrip())
    return [(n, lines) for n, lines in pages if any(line.strip() for line in lines) or n != 1]


def _edge_indexes(lines: list[str], depth: int = 3) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:depth] + filled[-depth:]))


def strip_furniture(pages: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """Pages without the extraction's page numbers and running headers/footers (see module doc)."""
    if len(pages) < 2:
        return pages
    counts: Counter[str] = Counter()
    for _, lines in pages:
        counts.update({_furniture_key(lines[i]) for i in _edge_indexes(lines)})
    running = {key for key, n in counts.items()
               if key and n >= 3 and n >= 0.25 * len(pages) and len(key) <= 120}
    out = []
    for number, lines in pages:
        drop = set()
        for i in _edge_indexes(lines):
            stripped = re.sub(r"^#+\s*", "", lines[i].strip())
            if _PAGE_NUMBER.match(stripped) or _furniture_key(lines[i]) in running:
                drop.add(i)
        out.append((number, [line for i, line in enumerate(lines) if i not in drop]))
    return out


def blocks(text: str, *, markdown: bool = False) -> list[Block]:
    """Headings, paragraphs and list items of a corpus text (markdown=True: a revision account .md)."""
    pages = _pages(text)
    if not markdown:
        pages = strip_furniture(pages)
    out: list[Block] = []
    current: Block | None = None
    page_starts: set[int] = set()  # indexes of blocks that are the first on a new page

    def close() -> None:
        nonlocal current
        if current is not None and current.text.strip():
            current.text = re.sub(r"[ \t]+", " ", current.text).strip()
            out.append(current)
        current = None

    for page_index, (number, lines) in enumerate(pages):
        close()
        if page_index:
            page_starts.add(len(out))
        for raw in lines:
            if markdown and _FENCE.match(raw):
                close()
                continue
            line = raw.strip()
            if not line:
                close()
                continue
            heading = _HEADING.match(line)
            if heading and (not markdown or heading.group(2)):
                body = (heading.group(2) or "").strip()
                if current is not None and current.kind == "h" and body:
                    current.text += " " + body
                    continue
                close()
                if body:
                    current = Block("h", body, number, level=min(len(heading.group(1)) + (1 if markdown else 0), 6))
                continue
            bullet = _BULLET_LINE.match(line)
            if bullet and bullet.group(1) in _AMBIGUOUS_GLYPHS and current is not None and current.kind == "p" \
                    and not current.text.endswith(":"):
                bullet = None  # a dash that starts a wrapped line, not a list item
            if bullet:
                close()
                current = Block("li", bullet.group(2), number)
                continue
            if current is None or current.kind == "h":
                close()
                current = Block("p", line, number)
            elif current.text.endswith("-") and len(current.text) > 1 and current.text[-2].isalpha():
                current.text += line
            elif not current.text:
                current.text = line
            else:
                current.text += " " + line
        close()
    return _join_across_pages(out, page_starts)


def _join_across_pages(found: list[Block], page_starts: set[int]) -> list[Block]:
    """Join a paragraph cut by a page break, and a word hyphenated across a blank line ("infrastruc-")."""
    out: list[Block] = []
    for i, block in enumerate(found):
        previous = out[-1] if out else None
        if previous is not None and block.kind == "p" and previous.kind in ("p", "li") and block.text[:1].islower():
            if len(previous.text) > 1 and previous.text.endswith("-") and previous.text[-2].isalpha():
                previous.text += block.text
                continue
            if i in page_starts and not previous.text.endswith(_TERMINAL):
                previous.text += " " + block.text
                continue
        out.append(block)
    return out


# --- noise -----------------------------------------------------------------------------------------

_NAV_WORDS = ["Research", "Safety", "Company", "News", "Careers", "Policy", "Products", "Blog", "Events",
              "Customers", "Developers", "Pricing", "Security", "Transparency", "Press", "Contact"]


def _token(rng: random.Random, n: int = 12) -> str:
    return "".join(rng.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(n))


def _nav(rng: random.Random) -> str:
    items = rng.sample(_NAV_WORDS, rng.randint(4, 9))
    return "".join(f'<li><a href="/{w.lower()}?ref={_token(rng, 6)}">{w}</a></li>' for w in items)


def page_html(title: str, body: str, rng: random.Random, *, site: str) -> bytes:
    """A full page: body in <main><article>, surrounded by chrome that differs on every render."""
    build = _token(rng, 20)
    year = rng.randint(2023, 2027)
    chrome_class = f"c-{_token(rng, 6)}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en" class="{chrome_class}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f'<meta name="build-id" content="{build}">'
        f'<link rel="stylesheet" href="/_next/static/{_token(rng, 16)}.css">'
        f"<script>window.__NEXT_DATA__={{\"buildId\":\"{build}\",\"nonce\":\"{_token(rng, 24)}\"}};</script>"
        f"<style>.{chrome_class}{{margin:{rng.randint(0, 9)}px}}</style></head>\n"
        f'<body data-build="{build}">\n'
        f'<header class="site-header"><a href="/">{html.escape(site)}</a>'
        f'<nav aria-label="Main"><ul>{_nav(rng)}</ul></nav></header>\n'
        f'<div id="cookie-banner" class="cookie-consent" role="dialog">We use cookies to improve your '
        f"experience ({_token(rng, 8)}). <a href=\"/legal/cookies\">Cookie settings</a> "
        f"<button>Accept all</button></div>\n"
        f"<main id=\"content\"><article>\n{body}\n</article></main>\n"
        f'<aside class="related"><h3>Related</h3><ul>{_nav(rng)}</ul></aside>\n'
        f'<footer class="site-footer"><nav><ul>{_nav(rng)}</ul></nav>'
        f"<p>© {year} {html.escape(site)}. Build {build}. Rendered in {rng.randint(3, 900)} ms.</p></footer>\n"
        f'<script src="/_next/static/chunks/{_token(rng, 16)}.js" async></script>'
        f"<script>self.__next_f.push([{rng.randint(1, 9)},\"{_token(rng, 40)}\"])</script>\n"
        "</body></html>\n"
    ).encode()


def blocks_html(found: list[Block]) -> str:
    """The blocks as HTML elements (list items grouped into <ul>)."""
    parts: list[str] = []
    in_list = False
    for block in found:
        if block.kind == "li" and not in_list:
            parts.append("<ul>")
            in_list = True
        elif block.kind != "li" and in_list:
            parts.append("</ul>")
            in_list = False
        text = html.escape(block.text, quote=False)
        if block.kind == "h":
            parts.append(f"<h{block.level}>{text}</h{block.level}>")
        elif block.kind == "li":
            parts.append(f"<li>{text}</li>")
        else:
            parts.append(f"<p>{text}</p>")
    if in_list:
        parts.append("</ul>")
    return "\n".join(parts)


def render_html(found: list[Block], *, title: str, site: str, rng: random.Random) -> bytes:
    """An HTML page of the document, with fresh site noise."""
    return page_html(title, blocks_html(found), rng, site=site)


@dataclass
class UpdateEntry:
    """One revision account as posted on the provider's updates page."""

    posted: str  # ISO date
    label: str
    account: str  # the .md text


def render_updates(entries: list[UpdateEntry], *, site: str, rng: random.Random) -> bytes:
    """The provider's updates page: every account posted so far, oldest first, with fresh noise."""
    sections = []
    for entry in entries:
        sections.append(f'<section class="update"><h2><time datetime="{entry.posted}">{entry.posted}</time> '
                        f"{html.escape(entry.label)}</h2>\n{blocks_html(blocks(entry.account, markdown=True))}"
                        "</section>")
    if not sections:
        sections.append("<p>No updates yet.</p>")
    return page_html(f"{site}: policy updates", f"<h1>{html.escape(site)} policy updates</h1>\n" +
                     "\n".join(sections), rng, site=site)


# --- PDF ---------------------------------------------------------------------------------------------

def _pdf_class():
    from fpdf import FPDF

    class _Pdf(FPDF):
        running_header = ""
        family = "helvetica"

        def header(self) -> None:
            self.set_font(self.family, size=8)
            self.cell(0, 6, self.running_header, align="R", new_x="LMARGIN", new_y="NEXT")
            self.ln(3)

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font(self.family, size=8)
            self.cell(0, 8, f"{self.page_no()}", align="C")

    return _Pdf


_CORE_FALLBACK = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "•": "-",
                                "…": "...", "\u00a0": " "})


def render_pdf(found: list[Block], *, title: str, running_header: str, author: str, created: datetime,
               rng: random.Random) -> bytes:
    """A PDF of the document: page breaks where the original had them, running header, page numbers.

    Per render: producer, creator, creation date (within a day after `created`) and file id change.
    """
    pdf = _pdf_class()()
    unicode = all((FONT_DIR / name).exists() for name in _FONTS.values())
    if unicode:
        for style, name in _FONTS.items():
            pdf.add_font("DejaVu", style=style, fname=str(FONT_DIR / name))
        pdf.family = "DejaVu"
    pdf.running_header = running_header
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_producer(f"Renderer {rng.randint(1, 30)}.{rng.randint(0, 99)} ({_token(rng, 8)})")
    pdf.set_creator(rng.choice(["Word", "Google Docs", "InDesign", "LaTeX", "Pages"]) + f" {_token(rng, 4)}")
    pdf.set_creation_date(created.astimezone(UTC) + timedelta(seconds=rng.randint(0, 86_000)))
    pdf.set_subject(f"build {_token(rng, 10)}")
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_margins(20, 15, 20)
    pdf.add_page()
    page = found[0].page if found else 1
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def text(value: str) -> str:
        return value if unicode else value.translate(_CORE_FALLBACK).encode("latin-1", "replace").decode("latin-1")

    widths: dict[tuple[str, str, float, str], float] = {}

    def write(value: str, width: float, height: float, x: float) -> None:
        """Greedy line breaking at spaces (fpdf2's own multi_cell is quadratic in the line length)."""
        key = (pdf.family, pdf.font_style, pdf.font_size_pt)

        def measure(word: str) -> float:
            found_width = widths.get((*key, word))
            if found_width is None:
                found_width = widths[(*key, word)] = pdf.get_string_width(word)
            return found_width

        space = measure(" ")
        line: list[str] = []
        used = 0.0
        lines: list[str] = []
        for word in text(value).split():
            w = measure(word)
            while w > width and len(word) > 1:  # a URL longer than the line: cut it, after a / - . if any
                cut = max(1, int(len(word) * width / w) - 1)
                soft = max(word.rfind(mark, 0, cut) for mark in "/-._?&=")
                cut = soft + 1 if soft > cut // 2 else cut
                if line:
                    lines.append(" ".join(line))
                    line, used = [], 0.0
                lines.append(word[:cut])
                word = word[cut:]
                w = measure(word)
            if line and used + space + w > width:
                lines.append(" ".join(line))
                line, used = [], 0.0
            used = used + space + w if line else w
            line.append(word)
        if line:
            lines.append(" ".join(line))
        for one in lines:
            pdf.set_x(x)
            pdf.cell(width, height, one, new_x="LMARGIN", new_y="NEXT")

    for block in found:
        if block.page != page:
            page = block.page
            if pdf.get_y() > pdf.t_margin + 12:
                pdf.add_page()
        if block.kind == "h":
            pdf.set_font(pdf.family, style="B", size=13 if block.level <= 2 else 11)
            pdf.ln(2)
            write(block.text, width, 6.5, pdf.l_margin)
            pdf.ln(1.5)
        elif block.kind == "li":
            pdf.set_font(pdf.family, size=10.5)
            if pdf.will_page_break(5.2):
                pdf.add_page()
            pdf.set_x(pdf.l_margin + 4)
            pdf.cell(5, 5.2, text("•"))
            y = pdf.get_y()
            pdf.set_xy(pdf.l_margin + 9, y)
            write(block.text, width - 9, 5.2, pdf.l_margin + 9)
            pdf.ln(1)
        else:
            pdf.set_font(pdf.family, size=10.5)
            write(block.text, width, 5.2, pdf.l_margin)
            pdf.ln(2.5)
    return bytes(pdf.output())
