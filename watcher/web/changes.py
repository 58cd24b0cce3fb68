"""The change list (filters, newest first, paged) and the page of one change, each with its JSON."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from watcher.alerts.content import commitment_tags, verdict_of
from watcher.records import change_record
from watcher.store import Store
from watcher.web import params
from watcher.web.context import json_response, render, settings_of, store_of
from watcher.web.hunks import views_from_json

PER_PAGE = 50
META_TAGS = ("X-version", "X-changelog", "X-link", "X-rename")  # set by the classifier, not the taxonomy


def _records(store: Store, request: Request) -> tuple[list[dict[str, Any]], int, bool]:
    """The page of change records the query asks for, its number, and whether a next page exists."""
    selection = params.change_filter(request)
    page = params.positive(request, "page", 1, params.MAX_PAGE)
    rows = store.filtered_changes(selection, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    return [change_record(store, row) for row in rows[:PER_PAGE]], page, len(rows) > PER_PAGE


def change_list_page(request: Request) -> Response:
    """GET /changes: filtered, newest first, 50 a page."""
    with store_of(request, facts=True) as store:
        records, page, more = _records(store, request)
        orgs = store.organisations()
    tags = [*(tag for tag, _ in settings_of(request).taxonomy.tags), *META_TAGS]
    rows = [{**r, "verdict": verdict_of(r), "tags": commitment_tags(r)} for r in records]
    return render(request, "changes.html", changes=rows, page=page, more=more,
                  filters=params.filter_values(request),
                  orgs=orgs, tags=tags, kinds=params.CHANGE_KINDS, verdicts=params.VERDICT_FILTERS)


def change_list_json(request: Request) -> Response:
    """GET /changes.json: the same objects as `watcher changes --json`, with the same filters and paging."""
    with store_of(request, facts=True) as store:
        records, _, _ = _records(store, request)
    return json_response(records)


def _record(store: Store, change_id: int) -> dict[str, Any]:
    row = store.change_row(params.row_id(change_id, "change"))
    if row is None:
        raise params.not_found(f"no change {change_id}")
    return change_record(store, row)


def change_page(request: Request) -> Response:
    """GET /changes/{id}: what changed, its verdict and evidence, every hunk, links to versions and files."""
    with store_of(request) as store:
        record = _record(store, request.path_params["change_id"])
    return render(request, "change.html", change=record, verdict=verdict_of(record),
                  tags=commitment_tags(record), hunks=views_from_json(record["hunks"]))


def change_json(request: Request) -> Response:
    """GET /changes/{id}.json: the object `watcher changes --json` prints for this change."""
    with store_of(request) as store:
        return json_response(_record(store, request.path_params["change_id"]))
