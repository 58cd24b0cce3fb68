"""Normalization: structure kept, noise dropped, and text that reads the same hashes the same."""

from __future__ import annotations

import re

import pytest

from watcher.errors import NormalizeError
from watcher.fetch import charset_of, sniff_format
from watcher.follow import newest_link
from watcher.normalize import decode_body, to_document
from watcher.normalize.html import Link
from watcher.normalize.text import clean_text


def _html(body: str, head: str = "<title>Policy page</title>") -> bytes:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>".encode()


def test_structure_is_one_block_a_line() -> None:
    page = _html("<h1>Policy</h1><p>First   paragraph\nwrapped.</p><ul><li>One</li><li><p>Two</p></li></ul>"
                 "<table><tr><th>Level</th><th>Action</th></tr><tr><td>High</td><td>Pause</td></tr></table>"
                 "<h3>Details</h3><div>Plain div text</div>")

    doc = to_document(page, fmt="html", url="https://lab.example/policy")

    assert doc.text.split("\n") == ["# Policy", "First paragraph wrapped.", "- One", "- Two",
                                    "Level | Action", "High | Pause", "### Details", "Plain div text"]
    assert doc.title == "Policy page"


def test_site_chrome_is_dropped_but_article_header_kept() -> None:
    page = _html("<header><nav>Menu</nav></header><div class='cookie-notice'>Accept cookies</div>"
                 "<main><article><header><h1>Safety policy</h1><p>Effective 2 May 2026</p></header>"
                 "<p>Body text.</p><footer>Version 2.0</footer></article></main>"
                 "<aside>Related posts</aside><footer>Site footer</footer><script>track()</script>")

    text = to_document(page, fmt="html", url="https://lab.example/").text

    assert text.split("\n") == ["# Safety policy", "Effective 2 May 2026", "Body text.", "Version 2.0"]


def test_select_drop_and_ignore() -> None:
    page = _html("<div id='promo'>Try our app</div><section class='doc'><p>Kept.</p><p class='share'>Share"
                 "</p><p>Updated 5 minutes ago</p></section>")

    doc = to_document(page, fmt="html", url="https://lab.example/", select="section.doc", drop=(".share",),
                      ignore=(re.compile(r"Updated \d+ minutes ago"),))

    assert doc.text == "Kept."


def test_links_are_absolute_with_anchor_text() -> None:
    page = _html("<base href='https://cdn.example/files/'><a href='v2.pdf'>Policy v2</a>"
                 "<a href='#top'>Top</a><a href='mailto:x@y'>Mail</a><a href='/abs#frag'>Abs</a>")

    links = to_document(page, fmt="html", url="https://lab.example/p").links

    assert links == (Link("https://cdn.example/files/v2.pdf", "Policy v2"), Link("https://cdn.example/abs", "Abs"))


def test_text_that_reads_the_same_hashes_the_same() -> None:
    plain = "We \"will\" pause - and it's final.\nNext line"
    fancy = "We \u201cwill\u201d\u00a0pause \u2014 and it\u2019s fi\u200bnal.\u200f\r\n\n  Next\u2003line  "
    decomposed = "Cafe\u0301 policy"

    assert clean_text(fancy) == plain
    assert clean_text(decomposed) == clean_text("Caf\u00e9 policy")
    assert clean_text("e\ufb03cient \u2022 item") == "efficient - item"


@pytest.mark.parametrize("body,declared,expected", [
    ("Übersicht über Maßnahmen".encode("cp1252"), None, "Übersicht über Maßnahmen"),
    ("安全フレームワーク".encode("shift_jis"), "shift_jis", "安全フレームワーク"),
    ('<meta charset="iso-8859-1"><p>Résumé</p>'.encode("latin-1"), None, "Résumé"),
    ("\ufeffwith BOM".encode("utf-8"), "latin-1", "with BOM"),
], ids=["undeclared-cp1252", "declared-shift-jis", "meta-charset", "bom-wins"])
def test_charset_fallbacks(body: bytes, declared: str | None, expected: str) -> None:
    assert expected in decode_body(body, declared)


def test_mostly_undecodable_body_is_an_error() -> None:
    with pytest.raises(NormalizeError, match="undecodable"):
        decode_body(bytes(range(256)) * 20, "utf-8")


def test_format_is_sniffed_from_bytes() -> None:
    assert sniff_format(b"%PDF-1.7\n...") == "pdf"
    assert sniff_format(b"\n  <!DOCTYPE html><html>") == "html"
    assert sniff_format(b"<div>fragment</div>") == "html"
    assert sniff_format(b"Plain words.") == "text"
    assert sniff_format(b"\x89PNG\r\n\x1a\n\x00\x00") == "binary"
    assert charset_of('text/html; charset="Shift_JIS"') == "shift_jis"


def test_newest_link_by_date_then_version_then_page_order() -> None:
    pattern = re.compile(r"\.pdf$")
    dated = [Link("https://x/a.pdf", "Policy (May 2025)"), Link("https://x/b.pdf", "Policy (2026-02-24)"),
             Link("https://x/c.pdf", "Policy (October 2024)")]
    versioned = [Link("https://x/9f1.pdf", "Version 2.10"), Link("https://x/3ab.pdf", "Version 2.9")]
    plain = [Link("https://x/page", "About"), Link("https://x/first.pdf", "Current"),
             Link("https://x/second.pdf", "Older")]

    assert newest_link(dated, pattern).url == "https://x/b.pdf"
    assert newest_link(versioned, pattern).url == "https://x/9f1.pdf"
    assert newest_link(plain, pattern).url == "https://x/first.pdf"
    assert newest_link(plain, re.compile(r"\.docx$")) is None
