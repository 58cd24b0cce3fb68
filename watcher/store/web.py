"""Queries of the web UI, and the two tables it keeps up to date: the search index and change facts.

The search index holds each distinct text block (a line of the normalized text: a paragraph, heading or
list item) once, in an FTS5 table with the trigram tokenizer (so a phrase matches as a case-insensitive
substring, in any script), and links every block to the versions it occurs in:

    search_blocks       id, sha256 (of the block's text), text
    search_fts          FTS5 (trigram) over search_blocks.text, external content, rowid = search_blocks.id
    search_occurrences  block_id, version_id, line (first line of the version holding the block)
    search_versions     version_id, blocks, indexed_at: the versions indexed so far

Consecutive versions share most blocks, so the index grows with what changed, not with every version's
full text. `index_version` is called when a version is added; `unindexed_versions` lets the web UI catch
up on versions stored before the index existed.

    web_changes         the facts of each change that lists, filters, feeds and the overview need (kind,
                        time, severity, verdict, material, tags), so they never parse the hunks of
                        thousands of changes; filled by `refresh_change_facts` from new changes, and
                        refreshed while a verdict is unsettled (only pending verdicts are ever updated)
    web_matrix          per source and tag of material hunks of material changes: the newest such change
                        and how many (the overview's matrix), counted as facts are added (hunk labels
                        never change)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlite_utils

SEARCH_TABLES = ("search_blocks", "search_fts", "search_occurrences", "search_versions", "web_changes",
                 "web_matrix")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS search_blocks (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,   -- of the block's text (UTF-8)
    text TEXT NOT NULL             -- one line of a normalized text: paragraph, heading, list item
);
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
    text, content = 'search_blocks', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TABLE IF NOT EXISTS search_occurrences (
    block_id INTEGER NOT NULL REFERENCES search_blocks(id),
    version_id INTEGER NOT NULL REFERENCES versions(id),
    line INTEGER NOT NULL,         -- 1-based line of the version where the block first occurs
    PRIMARY KEY (block_id, version_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS search_versions (
    version_id INTEGER PRIMARY KEY REFERENCES versions(id),
    blocks INTEGER NOT NULL,       -- distinct blocks of the version
    indexed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS web_changes (
    change_id INTEGER PRIMARY KEY REFERENCES changes(id),
    source_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    old_version_id INTEGER,
    new_version_id INTEGER,
    material INTEGER,
    severity TEXT,
    verdict TEXT,                  -- explanation status, NULL when the change has no verdict
    settled INTEGER NOT NULL,      -- 0 while the verdict may still change (refreshed on every read)
    tags TEXT NOT NULL,            -- ' I IV X-version ': the tags of its hunks, space-delimited
    flagged TEXT NOT NULL          -- the tags of its material hunks, the same way
);
CREATE INDEX IF NOT EXISTS web_changes_detected ON web_changes(detected_at, change_id);
CREATE INDEX IF NOT EXISTS web_changes_source ON web_changes(source_id, change_id);
CREATE INDEX IF NOT EXISTS web_changes_unsettled ON web_changes(settled) WHERE settled = 0;
CREATE TABLE IF NOT EXISTS web_matrix (
    source_id TEXT NOT NULL,
    tag TEXT NOT NULL,             -- a tag of material hunks of material changes of the source
    change_id INTEGER NOT NULL,    -- the newest such change
    flagged INTEGER NOT NULL,      -- how many such changes
    PRIMARY KEY (source_id, tag)
) WITHOUT ROWID
"""

_CHANGE_JOIN = ("SELECT c.*, s.org, s.title, s.kind AS source_kind FROM changes c "
                "JOIN sources s ON s.id = c.source_id")
_UNSETTLED = ("SELECT c.id, c.material, c.severity, json_extract(c.explanation, '$.status'), "
              "c.explanation IS NULL OR c.settled_at IS NOT NULL FROM web_changes w JOIN changes c "
              "ON c.id = w.change_id WHERE w.settled = 0 AND (c.material IS NOT w.material "
              "OR c.severity IS NOT w.severity OR json_extract(c.explanation, '$.status') IS NOT w.verdict "
              "OR c.settled_at IS NOT NULL OR c.explanation IS NULL)")
_FACTS = ("change_id", "source_id", "kind", "detected_at", "old_version_id", "new_version_id", "material",
          "severity", "verdict", "settled", "tags", "flagged")
_SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3}


def search_schema(db: sqlite_utils.Database) -> None:
    """Create the tables of the search index (idempotent: also repairs a database migrated without them).

    Statement by statement, not executescript, which would commit a transaction the caller has open."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def text_blocks(text: str) -> Iterator[tuple[int, str]]:
    """(line number, block) for the first occurrence of each distinct non-empty line of a text."""
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        block = line.strip()
        if block and block not in seen:
            seen.add(block)
            yield number, block


@dataclass(frozen=True)
class ChangeFilter:
    """Which changes a list or feed shows; every field narrows the selection."""

    org: str | None = None
    source: str | None = None
    kind: str | None = None
    severities: tuple[str, ...] = ()
    verdict: str | None = None       # an explanation status, or "none" for changes without a verdict
    tag: str | None = None           # a hunk tag: I..VIII, X, or a taxonomy tag
    since: str | None = None         # detected_at >= since (ISO 8601)
    until: str | None = None         # detected_at < until
    material: bool | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition over `web_changes w JOIN sources s` and its parameters."""
        clauses, params = ["1 = 1"], []
        verdict = None if self.verdict == "none" else self.verdict
        for clause, value in (("s.org = ?", self.org), ("w.source_id = ?", self.source),
                              ("w.kind = ?", self.kind), ("w.detected_at >= ?", self.since),
                              ("w.detected_at < ?", self.until), ("w.verdict = ?", verdict),
                              ("instr(w.tags, ?) > 0", f" {self.tag} " if self.tag else None),
                              ("w.material = ?", None if self.material is None else int(self.material))):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        if self.verdict == "none":
            clauses.append("w.verdict IS NULL")
        if self.severities:
            clauses.append(f"w.severity IN ({', '.join('?' for _ in self.severities)})")
            params.extend(self.severities)
        return " AND ".join(clauses), params


def change_facts(row: dict[str, Any]) -> tuple[Any, ...]:
    """The web_changes row of a `changes` row (in _FACTS order)."""
    hunks = json.loads(row["hunks"] or "[]")
    explanation = json.loads(row["explanation"]) if row["explanation"] else None
    tags = {tag for hunk in hunks for tag in hunk.get("tags") or ()}
    flagged = {tag for hunk in hunks if hunk.get("material") for tag in hunk.get("tags") or ()}
    return (row["id"], row["source_id"], row["kind"], row["detected_at"], row["old_version_id"],
            row["new_version_id"], row["material"], row["severity"],
            explanation.get("status") if explanation else None,
            int(explanation is None or row["settled_at"] is not None),
            f" {' '.join(sorted(tags))} ", f" {' '.join(sorted(flagged))} ")


def severities_from(minimum: str) -> tuple[str, ...]:
    """The severities at or above `minimum` (info < low < medium < high)."""
    return tuple(level for level, rank in _SEVERITY_RANK.items() if rank >= _SEVERITY_RANK[minimum])


class WebQueries:
    """Read-only queries for the web UI, and the search index; mixed into Store (which provides `db`)."""

    db: sqlite_utils.Database

    # ---- the search index -------------------------------------------------------------------------

    def ensure_search_schema(self) -> None:
        """Create the web tables if a database lacks them (cheap when they exist)."""
        if getattr(self, "_search_schema_checked", False):
            return
        marks = ", ".join("?" for _ in SEARCH_TABLES)
        present = {r[0] for r in self.db.execute(f"SELECT name FROM sqlite_master WHERE name IN ({marks})",
                                                   list(SEARCH_TABLES))}
        if len(present) < len(SEARCH_TABLES):
            search_schema(self.db)
            if "web_matrix" not in present:  # facts stored before the matrix existed are read again
                self.db.execute("DELETE FROM web_changes")
        self._search_schema_checked = True

    def index_version(self, version_id: int, text: str, indexed_at: str) -> int:
        """Add a version's text blocks to the search index (once; a re-index is a no-op); the blocks added."""
        self.ensure_search_schema()
        if self.db.execute("SELECT 1 FROM search_versions WHERE version_id = ?", [version_id]).fetchone():
            return 0
        added = 0
        with self.db.atomic():
            blocks = list(text_blocks(text))
            for line, block in blocks:
                block_id, new = self._block_id(block)
                added += new
                self.db.execute("INSERT OR IGNORE INTO search_occurrences (block_id, version_id, line) "
                                "VALUES (?, ?, ?)", [block_id, version_id, line])
            self.db.execute("INSERT OR IGNORE INTO search_versions (version_id, blocks, indexed_at) "
                            "VALUES (?, ?, ?)", [version_id, len(blocks), indexed_at])
        return added

    def _block_id(self, block: str) -> tuple[int, bool]:
        """The id of a block, inserting it (and its full-text row) when it is new; (id, whether new)."""
        digest = hashlib.sha256(block.encode("utf-8")).hexdigest()
        row = self.db.execute("SELECT id FROM search_blocks WHERE sha256 = ?", [digest]).fetchone()
        if row:
            return int(row[0]), False
        cursor = self.db.execute("INSERT INTO search_blocks (sha256, text) VALUES (?, ?)", [digest, block])
        block_id = int(cursor.lastrowid)
        self.db.execute("INSERT INTO search_fts (rowid, text) VALUES (?, ?)", [block_id, block])
        return block_id, True

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """One transaction that takes the write lock first (BEGIN IMMEDIATE, waiting up to the busy
        timeout), so a batch of index writes never fails on a snapshot another process made stale."""
        if self.db.conn.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def unindexed_versions(self, limit: int) -> list[tuple[int, str]]:
        """(version id, text sha256) of versions not in the search index yet, oldest first."""
        self.ensure_search_schema()
        rows = self.db.execute(
            "SELECT v.id, v.text_sha256 FROM versions v WHERE NOT EXISTS "
            "(SELECT 1 FROM search_versions i WHERE i.version_id = v.id) ORDER BY v.id LIMIT ?",
            [limit]).fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]

    def unindexed_count(self) -> int:
        """How many versions are not in the search index yet."""
        self.ensure_search_schema()
        return int(self.db.execute(
            "SELECT (SELECT COUNT(*) FROM versions) - (SELECT COUNT(*) FROM search_versions)").fetchone()[0])

    def search_occurrences(self, match: str, *, org: str | None, source: str | None,
                           max_blocks: int) -> tuple[list[tuple[str, int, int, int]], bool]:
        """(source id, version number, line, block id) of each version holding a block that matches an
        FTS5 query, by source and version; and whether more than `max_blocks` blocks matched (cut)."""
        self.ensure_search_schema()
        hits = [r[0] for r in self.db.execute(
            "SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid LIMIT ?",
            [match, max_blocks + 1]).fetchall()]
        if not hits:
            return [], False
        where, params = "", []
        for clause, value in ((" AND s.org = ?", org), (" AND s.id = ?", source)):
            if value is not None:
                where += clause
                params.append(value)
        marks = ", ".join("?" for _ in hits[:max_blocks])
        rows = self.db.execute(
            "SELECT v.source_id, v.number, o.line, o.block_id FROM search_occurrences o "
            "JOIN versions v ON v.id = o.version_id JOIN sources s ON s.id = v.source_id "
            f"WHERE o.block_id IN ({marks}){where} ORDER BY v.source_id, v.number",
            [*hits[:max_blocks], *params]).fetchall()
        return rows, len(hits) > max_blocks

    def block_texts(self, block_ids: list[int]) -> dict[int, str]:
        """The text of these search blocks, by id."""
        marks = ", ".join("?" for _ in block_ids)
        return dict(self.db.execute(f"SELECT id, text FROM search_blocks WHERE id IN ({marks})", block_ids))

    def version_dates(self, source_ids: list[str]) -> list[tuple[str, int, str, str]]:
        """(source id, number, first seen, last seen) of every version of these sources, in order."""
        marks = ", ".join("?" for _ in source_ids)
        return self.db.execute(
            "SELECT source_id, number, first_seen_at, last_seen_at FROM versions "
            f"WHERE source_id IN ({marks}) ORDER BY source_id, number", source_ids).fetchall()

    def source_names(self, source_ids: list[str]) -> dict[str, tuple[str, str]]:
        """(organisation, title) of these sources, by id."""
        marks = ", ".join("?" for _ in source_ids)
        rows = self.db.execute(f"SELECT id, org, title FROM sources WHERE id IN ({marks})", source_ids)
        return {row[0]: (row[1], row[2]) for row in rows}

    # ---- change facts -----------------------------------------------------------------------------

    def refresh_change_facts(self) -> int:
        """Add the facts of new changes and update those of unsettled verdicts; how many rows changed."""
        self.ensure_search_schema()
        if not self._stale_facts():
            return 0
        with self.write_lock():  # again under the lock: another process may have just done it
            newest = self.db.execute("SELECT COALESCE(MAX(change_id), 0) FROM web_changes").fetchone()[0]
            added = [change_facts(row) for row in self.db.query(
                "SELECT id, source_id, kind, detected_at, old_version_id, new_version_id, material, "
                "severity, explanation, settled_at, hunks FROM changes WHERE id > ? ORDER BY id", [newest])]
            updated = [(*row[1:], row[0]) for row in self.db.execute(_UNSETTLED).fetchall()]
            self.db.conn.executemany(f"INSERT INTO web_changes ({', '.join(_FACTS)}) "
                                     f"VALUES ({', '.join('?' for _ in _FACTS)})", added)
            self.db.conn.executemany("UPDATE web_changes SET material = ?, severity = ?, verdict = ?, "
                                     "settled = ? WHERE change_id = ?", updated)
            self.db.conn.executemany(
                "INSERT INTO web_matrix (source_id, tag, change_id, flagged) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (source_id, tag) DO UPDATE SET flagged = flagged + 1, "
                "change_id = max(change_id, excluded.change_id)",
                [(row[1], tag, row[0]) for row in added if row[6] == 1 for tag in row[-1].split()])
        return len(added) + len(updated)

    def _stale_facts(self) -> bool:
        """Whether changes were added, or unsettled verdicts changed, since the facts were read."""
        newest = self.db.execute("SELECT COALESCE(MAX(change_id), 0) FROM web_changes").fetchone()[0]
        if self.db.execute("SELECT 1 FROM changes WHERE id > ? LIMIT 1", [newest]).fetchone():
            return True
        return self.db.execute(_UNSETTLED + " LIMIT 1").fetchone() is not None

    # ---- overview ---------------------------------------------------------------------------------

    def source_overview(self) -> list[dict[str, Any]]:
        """Every source with its version count, newest fetch, newest change and newest material change."""
        return list(self.db.query("""
            SELECT s.id, s.org, s.title, s.kind, s.url, s.enabled,
                (SELECT COUNT(*) FROM versions v WHERE v.source_id = s.id) AS versions,
                f.started_at AS checked_at, f.outcome AS check_outcome, f.status AS check_status,
                f.error AS check_error,
                c.change_id, c.detected_at AS change_at, c.kind AS change_kind, c.severity AS change_severity,
                c.verdict AS change_verdict, ov.number AS change_old, nv.number AS change_new,
                m.change_id AS flagged_id, m.detected_at AS flagged_at, m.severity AS flagged_severity,
                m.verdict AS flagged_verdict
            FROM sources s
            LEFT JOIN fetches f ON f.id = (SELECT MAX(id) FROM fetches WHERE source_id = s.id)
            LEFT JOIN web_changes c ON c.change_id =
                (SELECT MAX(change_id) FROM web_changes WHERE source_id = s.id)
            LEFT JOIN versions ov ON ov.id = c.old_version_id
            LEFT JOIN versions nv ON nv.id = c.new_version_id
            LEFT JOIN web_changes m ON m.change_id =
                (SELECT MAX(change_id) FROM web_changes WHERE source_id = s.id AND material = 1)
            ORDER BY s.org COLLATE NOCASE, s.title COLLATE NOCASE, s.id
        """))

    def latest_flagged_by_commitment(self, tags: tuple[str, ...]) -> list[dict[str, Any]]:
        """Per organisation and tag, the newest material change with a material hunk so tagged (its facts
        and title) and how many such changes there are."""
        cells: dict[tuple[str, str], dict[str, Any]] = {}
        marks = ", ".join("?" for _ in tags)
        for org, tag, change_id, count in self.db.execute(
                "SELECT s.org, m.tag, m.change_id, m.flagged FROM web_matrix m JOIN sources s "
                f"ON s.id = m.source_id WHERE m.tag IN ({marks})", list(tags)):
            cell = cells.setdefault((org, tag), {"org": org, "tag": tag, "change_id": 0, "flagged": 0})
            cell["change_id"], cell["flagged"] = max(cell["change_id"], change_id), cell["flagged"] + count
        facts = self.change_summaries([cell["change_id"] for cell in cells.values()])
        return [{**cell, **facts[cell["change_id"]]} for cell in cells.values()]

    def change_summaries(self, change_ids: list[int]) -> dict[int, dict[str, Any]]:
        """The facts of these changes with their document's title, by id."""
        if not change_ids:
            return {}
        marks = ", ".join("?" for _ in change_ids)
        rows = self.db.query(
            "SELECT w.change_id AS id, w.source_id, w.kind, w.detected_at, w.severity, w.verdict, s.title "
            f"FROM web_changes w JOIN sources s ON s.id = w.source_id WHERE w.change_id IN ({marks})", change_ids)
        return {row["id"]: row for row in rows}

    # ---- changes ----------------------------------------------------------------------------------

    def filtered_changes(self, selection: ChangeFilter, *, limit: int,
                         offset: int = 0) -> list[dict[str, Any]]:
        """Change rows joined with their source, newest first, as Store.changes gives them (call
        refresh_change_facts first: the selection runs on web_changes)."""
        where, params = selection.where()
        ids = [r[0] for r in self.db.execute(
            f"SELECT w.change_id FROM web_changes w JOIN sources s ON s.id = w.source_id WHERE {where} "
            "ORDER BY w.detected_at DESC, w.change_id DESC LIMIT ? OFFSET ?", [*params, limit, offset])]
        if not ids:
            return []
        rows = {row["id"]: row for row in self.db.query(
            f"{_CHANGE_JOIN} WHERE c.id IN ({', '.join('?' for _ in ids)})", ids)}
        return [rows[i] for i in ids if i in rows]

    def change_row(self, change_id: int) -> dict[str, Any] | None:
        """One change joined with its source, or None."""
        rows = list(self.db.query(f"{_CHANGE_JOIN} WHERE c.id = ?", [change_id]))
        return rows[0] if rows else None

    def change_between(self, source_id: str, old_version_id: int,
                       new_version_id: int) -> dict[str, Any] | None:
        """The newest stored change of a source from one version to another, joined with its source."""
        rows = list(self.db.query(
            f"{_CHANGE_JOIN} WHERE c.source_id = ? AND c.old_version_id = ? AND c.new_version_id = ? "
            "ORDER BY c.id DESC LIMIT 1", [source_id, old_version_id, new_version_id]))
        return rows[0] if rows else None

    def changes_within(self, source_id: str, first: int, last: int) -> list[dict[str, Any]]:
        """Id and hunks of the changes of a source between two versions in the range first..last."""
        return list(self.db.query(
            "SELECT c.id, c.hunks FROM changes c JOIN versions o ON o.id = c.old_version_id "
            "JOIN versions n ON n.id = c.new_version_id WHERE c.source_id = ? AND o.number >= ? "
            "AND n.number <= ? AND o.number < n.number ORDER BY c.id", [source_id, first, last]))

    def organisations(self) -> list[str]:
        """Every organisation with a source, alphabetically."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT org FROM sources ORDER BY org COLLATE NOCASE")]

    # ---- one document -----------------------------------------------------------------------------

    def source_row(self, source_id: str) -> dict[str, Any] | None:
        """The `sources` row of a source id, or None."""
        rows = list(self.db.query("SELECT * FROM sources WHERE id = ?", [source_id]))
        return rows[0] if rows else None

    def version_changes(self, source_id: str) -> dict[int, dict[str, Any]]:
        """The facts of the newest change that produced each version of a source, by new_version_id."""
        rows = self.db.query("SELECT *, change_id AS id FROM web_changes WHERE source_id = ? "
                             "AND new_version_id IS NOT NULL ORDER BY change_id", [source_id])
        return {row["new_version_id"]: row for row in rows}

    def fetch_failures(self, source_id: str, limit: int) -> list[dict[str, Any]]:
        """The newest failed fetches of a source (errors, bad content, quarantined pages)."""
        return list(self.db.query(
            "SELECT id, url, final_url, started_at, status, outcome, error, elapsed_ms FROM fetches "
            "WHERE source_id = ? AND outcome IN ('error', 'bad_content', 'quarantined') "
            "ORDER BY id DESC LIMIT ?", [source_id, limit]))

    def fetch_counts(self, source_id: str) -> dict[str, int]:
        """How many fetches of a source ended in each outcome."""
        rows = self.db.execute("SELECT outcome, COUNT(*) FROM fetches WHERE source_id = ? GROUP BY outcome",
                               [source_id]).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def newest_fetch_at(self) -> str | None:
        """When anything was last fetched (for feeds with no entries)."""
        row = self.db.execute("SELECT MAX(started_at) FROM fetches").fetchone()
        return str(row[0]) if row and row[0] else None
