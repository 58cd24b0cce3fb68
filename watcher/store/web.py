"""Queries of the web UI (read-only) and the search index over text blocks of versions."""

from __future__ import annotations

import sqlite_utils


def search_schema(db: sqlite_utils.Database) -> None:
    """Tables of the search index (filled in by the web UI issue)."""


class WebQueries:
    """Read-only queries for the web UI; mixed into Store (which provides `db`)."""

    db: sqlite_utils.Database
