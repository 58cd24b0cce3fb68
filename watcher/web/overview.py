"""The overview: every organisation and document with its last check and last change, and a matrix of
organisations by commitment (I-VIII) showing the latest flagged change in each cell."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from watcher.store import Store
from watcher.web.context import json_response, render, store_of

COMMITMENTS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")
FAILED_OUTCOMES = ("error", "bad_content", "quarantined")


@dataclass
class Organisation:
    """One organisation's documents (overview rows) and its row of the matrix (tag -> cell)."""

    name: str
    documents: list[SimpleNamespace] = field(default_factory=list)  # attributes render faster than keys
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)


def overview_data(store: Store) -> list[Organisation]:
    """Organisations alphabetically, each with its documents and its matrix cells."""
    orgs: dict[str, Organisation] = {}
    for row in store.source_overview():
        document = SimpleNamespace(**row, failed=row["check_outcome"] in FAILED_OUTCOMES)
        orgs.setdefault(row["org"], Organisation(row["org"])).documents.append(document)
    for row in store.latest_flagged_by_commitment(COMMITMENTS):
        if row["org"] in orgs:
            orgs[row["org"]].cells[row["tag"]] = row
    return list(orgs.values())


def overview_page(request: Request) -> Response:
    """GET /: the overview."""
    with store_of(request, facts=True) as store:
        orgs = overview_data(store)
        pending = store.unindexed_count()
    return render(request, "overview.html", orgs=orgs, commitments=COMMITMENTS,
                  documents=sum(len(o.documents) for o in orgs), unindexed=pending)


def overview_json(request: Request) -> Response:
    """GET /overview.json: the overview's documents and matrix."""
    with store_of(request, facts=True) as store:
        orgs = overview_data(store)
    return json_response({
        "organisations": [{"name": o.name, "documents": [_document_json(vars(d)) for d in o.documents],
                           "commitments": {tag: _cell_json(cell) for tag, cell in o.cells.items()}}
                          for o in orgs],
    })


def _document_json(row: dict[str, Any]) -> dict[str, Any]:
    last_change = {"id": row["change_id"], "detected_at": row["change_at"], "kind": row["change_kind"],
                   "severity": row["change_severity"], "verdict": row["change_verdict"],
                   "old": row["change_old"], "new": row["change_new"]} if row["change_id"] else None
    flagged = {"id": row["flagged_id"], "detected_at": row["flagged_at"], "severity": row["flagged_severity"],
               "verdict": row["flagged_verdict"]} if row["flagged_id"] else None
    return {"source": row["id"], "title": row["title"], "kind": row["kind"], "url": row["url"],
            "enabled": bool(row["enabled"]), "versions": row["versions"],
            "last_check": {"at": row["checked_at"], "outcome": row["check_outcome"],
                           "status": row["check_status"], "error": row["check_error"]}
            if row["checked_at"] else None,
            "last_change": last_change, "last_flagged_change": flagged}


def _cell_json(cell: dict[str, Any]) -> dict[str, Any]:
    return {"change": cell["id"], "detected_at": cell["detected_at"], "severity": cell["severity"],
            "verdict": cell["verdict"], "source": cell["source_id"], "flagged_changes": cell["flagged"]}
