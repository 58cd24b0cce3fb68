"""HTML to readable text that keeps structure: headings, paragraphs, list items, table rows, one a line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from watcher.normalize.text import clean_line

# Removed before anything else: never content.
NOISE_TAGS = ("head", "script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button",
              "select", "input", "textarea", "dialog", "object", "embed")
# Site chrome: removed unless it sits inside the document's own article or main region.
CHROME_TAGS = ("nav", "header", "footer", "aside")
COOKIE_BANNER = re.compile(r"cookie|consent|gdpr|onetrust|cookiebot|truste|ccpa", re.IGNORECASE)
_CONTENT_ANCESTORS = ("article", "main")

BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html",
    "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul", "br",
})
_WHITESPACE = re.compile(r"\s+")
_BLOCK_PREFIX = {**{f"h{n}": "#" * n + " " for n in range(1, 7)}, "li": "- ", "dt": "", "dd": ""}


@dataclass(frozen=True)
class Link:
    """An absolute link target with its anchor text."""

    url: str
    text: str


@dataclass(frozen=True)
class HtmlText:
    """What an HTML page reads as."""

    text: str
    title: str | None
    links: tuple[Link, ...]


def html_to_text(markup: str, base_url: str, *, select: str | None = None,
                 drop: tuple[str, ...] = ()) -> HtmlText:
    """Readable text, title and links of an HTML page, without scripts, navigation and banners."""
    soup = BeautifulSoup(markup, "lxml")
    title = _title(soup)
    base_url = _base_href(soup, base_url)
    _remove_noise(soup)
    region: Tag = soup.body or soup
    if select:
        selected = soup.select_one(select)
        region = selected if selected is not None else soup
    for selector in drop:
        for element in region.select(selector):
            element.decompose()
    lines = [line for line in (clean_line(b) for b in _blocks(region)) if line]
    return HtmlText(text="\n".join(lines), title=title, links=tuple(_links(region, base_url)))


def _title(soup: BeautifulSoup) -> str | None:
    for candidate in (soup.title, soup.find("h1")):
        if candidate is not None:
            text = clean_line(candidate.get_text(" "))
            if text:
                return text
    return None


def _base_href(soup: BeautifulSoup, base_url: str) -> str:
    base = soup.find("base", href=True)
    return urljoin(base_url, str(base["href"])) if isinstance(base, Tag) else base_url


def _remove_noise(soup: BeautifulSoup) -> None:
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for element in soup.find_all(NOISE_TAGS):
        element.decompose()
    for element in soup.find_all(CHROME_TAGS):
        if not element.decomposed and element.find_parent(_CONTENT_ANCESTORS) is None:
            element.decompose()
    for element in soup.find_all(_looks_like_cookie_banner):
        element.decompose()
    for element in soup.find_all(attrs={"hidden": True}):
        element.decompose()
    for element in soup.find_all(attrs={"aria-hidden": "true"}):
        element.decompose()


def _looks_like_cookie_banner(tag: Tag) -> bool:
    if tag.decomposed or tag.name in ("html", "body", "main", "article"):
        return False
    attrs = " ".join([str(tag.get("id") or ""), *(tag.get("class") or []), str(tag.get("role") or "")])
    return bool(COOKIE_BANNER.search(attrs)) and len(tag.get_text(" ", strip=True)) < 2000


def _blocks(region: Tag) -> list[str]:
    """Walk the tree, emitting one string per block; headings get '#' marks, list items '- '."""
    out: list[str] = []
    current: list[str] = []
    pending_prefix = [""]  # the mark of the block now accumulating ("# ", "- " or "")

    def flush() -> None:
        text = _WHITESPACE.sub(" ", "".join(current)).strip()
        current.clear()
        if text:
            out.append(pending_prefix[0] + text)
            pending_prefix[0] = ""

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                current.append(str(child))
            elif isinstance(child, Tag):
                visit(child)

    def visit(tag: Tag) -> None:
        name = tag.name
        if name == "tr":
            flush()
            cells = [_WHITESPACE.sub(" ", c.get_text(" ")).strip() for c in tag.find_all(["td", "th"])]
            row = " | ".join(c for c in cells if c)
            if row:
                out.append(row)
        elif name == "pre":
            flush()
            out.extend(line for line in tag.get_text().splitlines() if line.strip())
        elif name in BLOCK_TAGS or name in _BLOCK_PREFIX:
            flush()
            if name in _BLOCK_PREFIX:
                pending_prefix[0] = _BLOCK_PREFIX[name]
            walk(tag)
            flush()
            pending_prefix[0] = ""
        else:
            walk(tag)

    walk(region)
    flush()
    return out


def _links(region: Tag, base_url: str) -> list[Link]:
    links: list[Link] = []
    seen: set[tuple[str, str]] = set()
    for anchor in region.find_all("a", href=True):
        href = str(anchor["href"]).strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        url = urljoin(base_url, href).split("#")[0]
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        text = clean_line(anchor.get_text(" "))
        if (url, text) not in seen:
            seen.add((url, text))
            links.append(Link(url=url, text=text))
    return links
