"""A document: its timeline of versions and failed fetches, each version's text, its original file (a
download, never rendered), and the compare form."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from watcher.errors import NotFoundError
from watcher.records import change_record
from watcher.store import Store, Version
from watcher.web import params
from watcher.web.context import json_response, quote_part, render, store_of
from watcher.web.security import DOWNLOAD_CSP

FAILURES_SHOWN = 100
RECENT_CHANGES = 20
_EXTENSIONS = {"pdf": "pdf", "html": "html", "text": "txt"}
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def source_or_404(store: Store, request: Request) -> dict[str, Any]:
    """The `sources` row named by the path, or a 404."""
    source_id = request.path_params["source_id"]
    row = store.source_row(source_id) if len(source_id) <= params.MAX_TEXT else None
    if row is None:
        raise params.not_found(f"no source {source_id!r}")
    return row


def version_or_404(store: Store, source_id: str, number: int) -> Version:
    """Version `number` of a source, or a 404."""
    try:
        return store.version(source_id, params.row_id(number, "version"))
    except NotFoundError as e:
        raise params.not_found(str(e)) from None


def version_json(v: Version) -> dict[str, Any]:
    """A version as `watcher history --json` prints it."""
    return {"version": v.number, "first_seen_at": v.first_seen_at, "last_seen_at": v.last_seen_at,
            "text_sha256": v.text_sha256, "raw_sha256": v.raw_sha256, "url": v.url, "format": v.format,
            "content_type": v.content_type, "http_status": v.http_status, "etag": v.etag,
            "last_modified": v.last_modified, "title": v.title, "text_chars": v.text_chars}


def timeline(versions: list[Version], changes: dict[int, dict[str, Any]],
             failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Versions (with the change that produced each) and failed fetches, newest first."""
    entries = [{"type": "version", "at": v.first_seen_at, "version": v, "change": changes.get(v.id),
                "previous": v.number - 1 if v.number > 1 else None} for v in versions]
    entries += [{"type": "failure", "at": f["started_at"], "fetch": f} for f in failures]
    return sorted(entries, key=lambda e: (e["at"], e["type"] == "version"), reverse=True)


def _document(store: Store, request: Request) -> dict[str, Any]:
    source = source_or_404(store, request)
    versions = store.versions(source["id"])
    failures = store.fetch_failures(source["id"], FAILURES_SHOWN)
    recent = store.changes(source_id=source["id"], limit=RECENT_CHANGES)
    return {"source": source, "versions": versions, "failures": failures,
            "changes": [change_record(store, row) for row in recent],
            "timeline": timeline(versions, store.version_changes(source["id"]), failures),
            "fetch_counts": store.fetch_counts(source["id"])}


def document_page(request: Request) -> Response:
    """GET /sources/{id}: the document's timeline, versions and changes."""
    with store_of(request, facts=True) as store:
        return render(request, "document.html", **_document(store, request))


def document_json(request: Request) -> Response:
    """GET /sources/{id}.json: the source, its versions (as `watcher history --json`), failed fetches and
    its newest changes (as `watcher changes --json`)."""
    with store_of(request, facts=True) as store:
        doc = _document(store, request)
    keys = ("id", "org", "title", "kind", "url", "index_url", "follow", "note")
    source = {k: doc["source"][k] for k in keys}
    return json_response({"source": {**source, "enabled": bool(doc["source"]["enabled"])},
                          "versions": [version_json(v) for v in doc["versions"]],
                          "fetch_failures": doc["failures"], "fetch_counts": doc["fetch_counts"],
                          "changes": doc["changes"]})


def version_page(request: Request) -> Response:
    """GET /sources/{id}/versions/{n}: the normalized text, one numbered line each (#L12 anchors)."""
    with store_of(request) as store:
        source = source_or_404(store, request)
        version = version_or_404(store, source["id"], request.path_params["number"])
        text = store.read_text(version)
        newest = store.latest_version(source["id"])
    return render(request, "version.html", source=source, version=version, lines=text.split("\n"),
                  newest=newest.number if newest else version.number)


def version_text(request: Request) -> Response:
    """GET /sources/{id}/versions/{n}.txt: the normalized text as plain UTF-8."""
    with store_of(request) as store:
        source = source_or_404(store, request)
        text = store.read_text(version_or_404(store, source["id"], request.path_params["number"]))
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8")


def original_file(request: Request) -> Response:
    """GET /sources/{id}/versions/{n}/original: the file as fetched, always as an attachment (never
    rendered inline: an HTML original is sent as application/octet-stream, in a sandbox)."""
    with store_of(request) as store:
        source = source_or_404(store, request)
        version = version_or_404(store, source["id"], request.path_params["number"])
        data = store.read_blob(version.raw_sha256)
    extension = _EXTENSIONS.get(version.format, "bin")
    name = _FILENAME_UNSAFE.sub("-", f"{source['id']}-v{version.number}.{extension}")
    media_type = "application/pdf" if version.format == "pdf" else "application/octet-stream"
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Content-Security-Policy": DOWNLOAD_CSP,
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400, immutable"})


def compare_redirect(request: Request) -> Response:
    """GET /sources/{id}/diff?from=A&to=B (the compare form without JavaScript): to the diff's permalink."""
    with store_of(request) as store:
        source = source_or_404(store, request)
    old, new = params.version_number(request, "from"), params.version_number(request, "to")
    return RedirectResponse(f"/sources/{quote_part(source['id'])}/diff/{old}..{new}", status_code=303)
