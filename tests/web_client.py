"""Starlette's TestClient for the web UI tests, and a parser that lists what a page could execute."""

from __future__ import annotations

import warnings
from html.parser import HTMLParser
from pathlib import Path

from watcher.web import create_app

with warnings.catch_warnings():
    # Starlette >= 1.x prefers the httpx2 package and warns once at import when it finds httpx instead.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient


def client_for(data: Path, **options: object) -> TestClient:
    """A TestClient over the web UI of a data folder."""
    return TestClient(create_app(data, **options))  # type: ignore[arg-type]


class ActiveContent(HTMLParser):
    """Collects every element and attribute of a page that could run script or load something."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        risky = ("script", "iframe", "object", "embed", "img", "svg", "base", "meta")
        if tag in risky and not _harmless(tag, attrs):
            self.problems.append(f"<{tag}> {attrs}")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and value and \
                    value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                self.problems.append(f"<{tag} {name}={value!r}>")


def _harmless(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    names = {name for name, _ in attrs}
    return tag == "meta" and names <= {"charset", "name", "content"} and dict(attrs).get("name") != "refresh"


def active_content(html: str) -> list[str]:
    """What in this HTML could run script (empty for a safe page)."""
    parser = ActiveContent()
    parser.feed(html)
    parser.close()
    return parser.problems
