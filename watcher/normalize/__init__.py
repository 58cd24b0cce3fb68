"""Turn a fetched body into a Document: readable text that keeps structure, a title and links.

    to_document(body, ...) -> Document     pure: the same bytes always give the same text
      pdf  -> normalize.pdf.pdf_to_text (in a child process with time and memory limits)
      html -> normalize.html.html_to_text (drop noise, keep `select`, remove `drop`)
      text -> decoded and cleaned
    then the source's `ignore` patterns are removed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

from watcher.errors import NormalizeError
from watcher.normalize.html import Link, html_to_text
from watcher.normalize.text import apply_ignores, clean_text

__all__ = ["Document", "Link", "decode_body", "to_document"]

UNDECODABLE_SHARE = 0.25
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# U+FFFD and the C0 controls except \t \n \f \r (0x09, 0x0a, 0x0c, 0x0d).
_UNDECODABLE = re.compile(r"[\ufffd\x00-\x08\x0b\x0e-\x1f]")


@dataclass(frozen=True)
class Document:
    """The normalized text of one capture, with its title and links."""

    text: str
    title: str | None
    links: tuple[Link, ...]
    format: str  # "html", "pdf" or "text"


def to_document(body: bytes, *, fmt: str, url: str, charset: str | None = None, select: str | None = None,
                drop: tuple[str, ...] = (), ignore: tuple[re.Pattern[str], ...] = (),
                pdf_timeout: float = 60.0, pdf_memory: int = 1 << 30) -> Document:
    """Normalize a body whose format was sniffed as 'pdf', 'html' or 'text'."""
    if fmt == "pdf":
        from watcher.normalize.pdf import pdf_to_text

        pdf = pdf_to_text(body, timeout=pdf_timeout, memory_bytes=pdf_memory)
        document = Document(text=pdf.text, title=pdf.title, links=(), format="pdf")
    elif fmt == "html":
        page = html_to_text(decode_body(body, charset), url, select=select, drop=drop)
        document = Document(text=page.text, title=page.title, links=page.links, format="html")
    elif fmt == "text":
        document = Document(text=clean_text(decode_body(body, charset)), title=None, links=(), format="text")
    else:
        raise NormalizeError(f"{url}: unsupported content ({fmt}); expected HTML, PDF or plain text")
    if ignore:
        document = Document(apply_ignores(document.text, list(ignore)), document.title, document.links,
                            document.format)
    return document


def decode_body(body: bytes, declared: str | None = None) -> str:
    """Decode with BOM, declared charset, <meta> charset, UTF-8, then detection; refuse mostly-garbage."""
    text = _decode(body, declared)
    if text and _undecodable_share(text) > UNDECODABLE_SHARE:
        raise NormalizeError(f"body is mostly undecodable ({_undecodable_share(text):.0%} replacement or "
                             "control characters); not stored as a version")
    return text


def _decode(body: bytes, declared: str | None) -> str:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace")
    meta = _META_CHARSET.search(body[:4096])
    candidates = [declared, meta.group(1).decode("ascii") if meta else None, "utf-8"]
    for encoding in candidates:
        if encoding and _known_codec(encoding):
            try:
                return body.decode(encoding)
            except UnicodeDecodeError:
                continue
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    return body.decode(declared if declared and _known_codec(declared) else "utf-8", errors="replace")


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _undecodable_share(text: str) -> float:
    """The share of replacement characters and control characters other than tab, LF, CR and FF."""
    return len(_UNDECODABLE.findall(text)) / len(text)
