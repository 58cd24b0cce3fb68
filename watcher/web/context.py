"""What every page shares: the app's settings, the store of one request, templates and responses."""

from __future__ import annotations

import functools
import logging
import sqlite3
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from watcher.alerts.content import SEVERITY_ORDER, VERDICT_WORDS, verdict_words
from watcher.classify import Taxonomy
from watcher.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """Where the data is, the address feeds link to, and the taxonomy used to label arbitrary diffs."""

    data_dir: Path
    taxonomy: Taxonomy
    base_url: str | None = None  # absolute address of the UI for feeds; None: the address of the request


def settings_of(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings  # type: ignore[no-any-return]


@contextmanager
def store_of(request: Request, *, facts: bool = False) -> Iterator[Store]:
    """The store, opened for one request in the worker thread that serves it (SQLite connections stay in
    the thread that opened them), and closed after. `facts`: first bring the change facts up to date."""
    store = Store(settings_of(request).data_dir)
    try:
        if facts:
            refresh_facts(store)
        yield store
    finally:
        store.close()


def refresh_facts(store: Store) -> None:
    """Add the facts of new changes; a database busy beyond the timeout only leaves them stale a while."""
    try:
        store.refresh_change_facts()
    except sqlite3.OperationalError as e:
        log.warning("change facts not refreshed now: %s", e)


def base_url_of(request: Request) -> str:
    """The absolute address of the UI, without a trailing slash."""
    configured = settings_of(request).base_url
    return (configured or str(request.base_url)).rstrip("/")


def safe_href(url: object) -> str | None:
    """The URL when it is an absolute http(s) address, else None: document-derived links such as
    `javascript:` never become clickable."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def quote_part(value: object) -> str:
    """A value quoted for one path segment or query value."""
    return quote(str(value), safe="")


def query_string(params: dict[str, Any]) -> str:
    """'?a=1&b=2' from the non-empty values ('' when none)."""
    kept = {k: v for k, v in params.items() if v not in (None, "", False)}
    return "?" + urlencode(kept, doseq=True) if kept else ""


def when(moment: str | None) -> Markup:
    """A timestamp as '<time>2026-01-02 03:04</time>' (a dash when there is none); the value is escaped."""
    if not moment:
        return Markup("\u2013")
    return Markup(f'<time datetime="{escape(moment)}">{escape(moment[:10])} {escape(moment[11:16])}</time>')


def severity_badge(level: str | None) -> Markup:
    """A severity badge; the value is escaped."""
    if not level:
        return Markup("")
    return Markup(f'<span class="badge sev-{escape(level)}" title="severity">{escape(level)}</span>')


def verdict_badge(status: str | None) -> Markup:
    """An explanation-verdict badge with the verdict in words as its tooltip; the values are escaped."""
    if not status:
        return Markup("")
    return Markup(f'<span class="badge verdict-{escape(status)}" title="{escape(verdict_words(status))}">'
                  f'{escape(status.replace("_", " "))}</span>')


@functools.cache
def tag_names() -> dict[str, str]:
    """The names of the commitment tags (I-VIII, X and sub-tags), from the shipped taxonomy."""
    shipped = resources.files("watcher").joinpath("data/taxonomy.toml")
    data = tomllib.loads(shipped.read_text(encoding="utf-8"))
    return {tag: str(table.get("name", tag)) for tag, table in data.get("tags", {}).items()}


@functools.cache
def templates() -> Environment:
    """The Jinja2 environment: autoescape on for every template, undefined names are errors."""
    env = Environment(loader=PackageLoader("watcher.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["href"] = safe_href
    env.filters["q"] = quote_part
    env.filters.update(verdict_words=verdict_words, when=when, severity_badge=severity_badge,
                       verdict_badge=verdict_badge)
    env.globals.update(SEVERITIES=SEVERITY_ORDER, VERDICTS=tuple(VERDICT_WORDS), query_string=query_string,
                       tag_names=tag_names())
    return env


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """An HTML page from a template."""
    html = templates().get_template(name).render(request_path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code)


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    """A JSON document (UTF-8, not ASCII-escaped)."""
    return JSONResponse(data, status_code=status_code)
