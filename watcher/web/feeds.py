"""Atom feeds of changes: all, per organisation, per document; `?min_severity=` (default low) sets the
least severity included. Built with ElementTree, so every text is escaped; characters XML forbids are
dropped from document text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from watcher.alerts.content import (
    SEVERITY_ORDER,
    change_headline,
    commitment_tags,
    important_hunks,
    verdict_of,
    verdict_words,
)
from watcher.records import change_record
from watcher.store import Store
from watcher.store.web import ChangeFilter, severities_from
from watcher.web import params
from watcher.web.context import base_url_of, query_string, store_of, templates

ATOM_NS = "http://www.w3.org/2005/Atom"
ENTRIES = 50
DEFAULT_MIN_SEVERITY = "low"
EPOCH = "1970-01-01T00:00:00Z"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """Text with the characters XML 1.0 cannot carry removed."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def _sub(parent: ET.Element, tag: str, text: object = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _entry(feed: ET.Element, record: dict[str, Any], row: dict[str, Any], base: str) -> None:
    url = f"{base}/changes/{record['id']}"
    entry = _sub(feed, "entry")
    _sub(entry, "id", url)
    _sub(entry, "title", change_headline(record, "change"))
    _sub(entry, "published", record["detected_at"])
    _sub(entry, "updated", max(record["detected_at"], row.get("settled_at") or ""))
    _sub(entry, "link", rel="alternate", type="text/html", href=url)
    for term in [record["severity"] or "unrated", *commitment_tags(record)]:
        _sub(entry, "category", term=term)
    verdict = verdict_of(record)
    lines = [f"{record['org']}, {record['title']}: {record['kind']}, severity {record['severity']}"]
    if verdict:
        lines.append(f"explanation: {verdict_words(verdict)}")
    lines += record["reasons"]
    _sub(entry, "summary", "\n".join(lines), type="text")
    html = templates().get_template("feed_entry.html").render(
        change=record, hunks=important_hunks(record, 5), base=base, verdict=verdict)
    _sub(entry, "content", html, type="html")


def atom_feed(records: list[tuple[dict[str, Any], dict[str, Any]]], *, title: str, feed_url: str,
              page_url: str, base: str, fallback_updated: str | None) -> bytes:
    """The Atom document for these (record, row) pairs, newest first."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", feed_url)
    _sub(feed, "title", title)
    updated = [max(r["detected_at"], row.get("settled_at") or "") for r, row in records]
    _sub(feed, "updated", max(updated, default=fallback_updated or EPOCH))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    _sub(_sub(feed, "author"), "name", "watcher")
    _sub(feed, "generator", "watcher")
    for record, row in records:
        _entry(feed, record, row, base)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _feed(request: Request, store: Store, title: str, *, org: str | None = None,
          source: str | None = None) -> Response:
    minimum = params.choice(request, "min_severity", SEVERITY_ORDER) or DEFAULT_MIN_SEVERITY
    rows = store.filtered_changes(ChangeFilter(org=org, source=source, severities=severities_from(minimum)),
                                  limit=ENTRIES)
    base = base_url_of(request)
    given = query_string({"min_severity": request.query_params.get("min_severity") and minimum})
    page = query_string({"org": org, "source": source, "min_severity": minimum})
    body = atom_feed([(change_record(store, row), row) for row in rows],
                     title=f"{title} (severity {minimum} and above)",
                     feed_url=f"{base}{request.url.path}{given}",
                     page_url=f"{base}/changes{page}", base=base, fallback_updated=store.newest_fetch_at())
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def feed_all(request: Request) -> Response:
    """GET /feeds/changes.atom: every change."""
    with store_of(request, facts=True) as store:
        return _feed(request, store, "watcher: changes")


def feed_org(request: Request) -> Response:
    """GET /feeds/orgs/{org}.atom: the changes of one organisation."""
    org = request.path_params["org"]
    with store_of(request, facts=True) as store:
        if org not in store.organisations():
            raise params.not_found(f"no organisation {org!r}")
        return _feed(request, store, f"watcher: {org}", org=org)


def feed_source(request: Request) -> Response:
    """GET /feeds/sources/{id}.atom: the changes of one document."""
    source_id = request.path_params["source_id"]
    with store_of(request, facts=True) as store:
        source = store.source_row(source_id)
        if source is None:
            raise params.not_found(f"no source {source_id!r}")
        return _feed(request, store, f"watcher: {source['org']}, {source['title']}", source=source_id)
