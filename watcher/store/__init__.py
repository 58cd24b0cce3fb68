"""The only module with SQL and paths: the schema (as migrations), snapshots on disk, and history queries.

Layout of the data folder:
    watcher.db            SQLite (WAL), readable by any SQLite tool; schema below and in the README
    snapshots/ab/<sha256>.gz   raw bytes and normalized text, addressed by the sha256 of the
                               uncompressed content, gzip-compressed, written atomically before any
                               row points at them; each distinct content is stored once
    alerts/               one JSON and one Markdown file per alert, written before its row
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from watcher.errors import NotFoundError, StoreError
from watcher.sources import Source
from watcher.store.alerts import AlertRecords
from watcher.store.files import iso, sha256_of, write_atomic
from watcher.store.web import WebQueries, search_schema

migrations = Migrations("watcher")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    """Sources, blobs, fetches (every attempt), versions (distinct texts) and changes."""
    db.executescript("""
    CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        org TEXT NOT NULL,
        title TEXT NOT NULL,
        kind TEXT NOT NULL,
        url TEXT,
        index_url TEXT,
        follow TEXT,
        enabled INTEGER NOT NULL DEFAULT 1,
        note TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        role TEXT NOT NULL,            -- 'raw' (bytes as received) or 'text' (normalized text, UTF-8)
        size INTEGER NOT NULL,         -- uncompressed bytes
        stored_size INTEGER NOT NULL,  -- bytes on disk (gzip)
        created_at TEXT NOT NULL
    );
    CREATE TABLE fetches (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL REFERENCES sources(id),
        url TEXT NOT NULL,             -- requested URL
        final_url TEXT,                -- after redirects
        started_at TEXT NOT NULL,
        elapsed_ms REAL,
        status INTEGER,                -- HTTP status of the last response, NULL when none came
        outcome TEXT NOT NULL,         -- new_version | unchanged | not_modified | gone | error | bad_content | index
        error TEXT,
        bytes INTEGER,
        raw_sha256 TEXT REFERENCES blobs(sha256),
        content_type TEXT,             -- as sent by the server
        format TEXT,                   -- as sniffed: pdf | html | text | binary
        etag TEXT,
        last_modified TEXT,
        redirects TEXT,                -- JSON [{status, url, location}]
        attempts TEXT,                 -- JSON [{status, elapsed_ms, error}], one per try
        version_id INTEGER REFERENCES versions(id)
    );
    CREATE INDEX fetches_source ON fetches(source_id, id);
    CREATE TABLE versions (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL REFERENCES sources(id),
        number INTEGER NOT NULL,       -- 1, 2, 3... per source
        text_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
        raw_sha256 TEXT NOT NULL REFERENCES blobs(sha256),  -- the raw file it was first seen in
        url TEXT NOT NULL,             -- final URL it was fetched from
        format TEXT NOT NULL,
        content_type TEXT,
        http_status INTEGER,
        etag TEXT,
        last_modified TEXT,
        title TEXT,
        text_chars INTEGER NOT NULL,
        links TEXT,                    -- JSON [{url, text}] for HTML pages
        fetch_id INTEGER REFERENCES fetches(id),
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        UNIQUE (source_id, number)
    );
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL REFERENCES sources(id),
        kind TEXT NOT NULL,            -- first_seen | modified | removed | restored | moved
        detected_at TEXT NOT NULL,
        old_version_id INTEGER REFERENCES versions(id),
        new_version_id INTEGER REFERENCES versions(id),
        url TEXT,                      -- where the new state was seen
        old_url TEXT,                  -- for moved: where the document was before
        fetch_id INTEGER REFERENCES fetches(id),
        chars_added INTEGER NOT NULL DEFAULT 0,
        chars_removed INTEGER NOT NULL DEFAULT 0,
        hunk_count INTEGER NOT NULL DEFAULT 0,
        hunks TEXT NOT NULL DEFAULT '[]'   -- JSON, as in `watcher changes --json`
    );
    CREATE INDEX changes_source ON changes(source_id, id);
    CREATE INDEX changes_detected ON changes(detected_at);
    """)


@migrations()
def m002_classification(db: sqlite_utils.Database) -> None:
    """Outcome-3 classification of changes, discovered sources, and links of index pages."""
    db.executescript("""
    ALTER TABLE changes ADD COLUMN material INTEGER;          -- 1 when any hunk is material
    ALTER TABLE changes ADD COLUMN severity TEXT;             -- info | low | medium | high
    ALTER TABLE changes ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]';       -- JSON list of strings
    ALTER TABLE changes ADD COLUMN same_label_reupload INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE changes ADD COLUMN explanation TEXT;          -- JSON {status, reason_given, evidence}
    ALTER TABLE changes ADD COLUMN settled_at TEXT;           -- when the verdict stopped being pending
    ALTER TABLE changes ADD COLUMN details TEXT;              -- JSON: links added/removed/repointed, parent
    CREATE TABLE discovered (
        id TEXT PRIMARY KEY,           -- source id given to the discovered document
        parent_id TEXT NOT NULL REFERENCES sources(id),
        url TEXT NOT NULL,
        title TEXT NOT NULL,           -- anchor text of the link
        kind TEXT NOT NULL,
        discovered_at TEXT NOT NULL,
        change_id INTEGER REFERENCES changes(id)
    );
    CREATE UNIQUE INDEX discovered_url ON discovered(parent_id, url);
    """)


@migrations()
def m003_evaluation_marks(db: sqlite_utils.Database) -> None:
    """Remember up to which change a verdict was evaluated, so re-evaluation runs only when accounts arrive."""
    db.execute("ALTER TABLE changes ADD COLUMN evaluated_through INTEGER")  # max changes.id seen by the verdict


@migrations()
def m004_alerts(db: sqlite_utils.Database) -> None:
    """The alert outbox: every alert, its delivery to each channel, and which changes were alerted."""
    db.executescript("""
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,          -- install_id: random, part of every delivery id
        value TEXT NOT NULL
    );
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,      -- change:<id> | change:<id>:settled | health:<source>:<state>:<fetch>
                                       -- | digest:<channel>:<due time>
        event TEXT NOT NULL,           -- change | settled | source_failing | source_recovered | digest
        created_at TEXT NOT NULL,
        source_id TEXT,
        change_id INTEGER REFERENCES changes(id),
        org TEXT,
        severity TEXT NOT NULL,
        headline TEXT NOT NULL,
        file TEXT NOT NULL,            -- alerts/<file>.json and alerts/<file>.md
        payload TEXT NOT NULL          -- JSON: the alert as in alerts/<file>.json
    );
    CREATE INDEX alerts_source ON alerts(source_id, id);
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES alerts(id),
        channel TEXT NOT NULL,         -- [[channel]] name
        delivery_id TEXT NOT NULL UNIQUE,  -- stable per alert and channel: email Message-ID, Slack/webhook id
        status TEXT NOT NULL,          -- pending | delivered | digest | failed
        due_at TEXT NOT NULL,          -- next attempt (pending) or digest time (digest)
        attempts INTEGER NOT NULL DEFAULT 0,
        last_attempt_at TEXT,
        last_error TEXT,
        delivered_at TEXT,
        digest_alert_id INTEGER REFERENCES alerts(id),  -- the digest that carried it
        UNIQUE (alert_id, channel)
    );
    CREATE INDEX deliveries_due ON deliveries(status, due_at);
    ALTER TABLE changes ADD COLUMN alerted_at TEXT;          -- when its alert was stored
    ALTER TABLE changes ADD COLUMN settled_alerted_at TEXT;  -- when the alert about its settled verdict was
    """)
    # Changes recorded before alerts existed are not announced again on upgrade.
    db.execute("UPDATE changes SET alerted_at = 'before alerts', settled_alerted_at = 'before alerts'")


@migrations()
def m005_schedule(db: sqlite_utils.Database) -> None:
    """When the daemon will check each source next (for `watcher status`)."""
    db.executescript("""
    CREATE TABLE schedule (
        source_id TEXT PRIMARY KEY,
        next_run_at TEXT,              -- NULL when the source is not scheduled (disabled)
        interval_seconds REAL NOT NULL,
        updated_at TEXT NOT NULL
    );
    """)


@migrations()
def m006_search(db: sqlite_utils.Database) -> None:
    """Full-text search over the distinct text blocks of every version (the web UI)."""
    search_schema(db)


@dataclass(frozen=True)
class Version:
    """One distinct normalized text of a source."""

    id: int
    source_id: str
    number: int
    text_sha256: str
    raw_sha256: str
    url: str
    format: str
    content_type: str | None
    http_status: int | None
    etag: str | None
    last_modified: str | None
    title: str | None
    text_chars: int
    links: list[dict[str, str]]
    fetch_id: int | None
    first_seen_at: str
    last_seen_at: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Version:
        """Build from a `versions` row."""
        return cls(**{**row, "links": json.loads(row["links"] or "[]")})


class Store(AlertRecords, WebQueries):
    """The database and the snapshots folder of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.snapshots = data_dir / "snapshots"
        self.alerts = data_dir / "alerts"
        try:
            self.snapshots.mkdir(parents=True, exist_ok=True)
            self.alerts.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(data_dir / "watcher.db")
            self.db.enable_wal()
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA busy_timeout = 10000")
            migrations.apply(self.db)
        except (OSError, sqlite_utils.db.sqlite3.Error) as e:
            raise StoreError(f"{data_dir}: cannot open the data folder: {e}") from e

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    # ---- snapshots --------------------------------------------------------------------------------

    def blob_path(self, sha256: str) -> Path:
        """Where the compressed content with this hash lives."""
        return self.snapshots / sha256[:2] / f"{sha256}.gz"

    def save_blob(self, data: bytes, role: str, now: datetime) -> str:
        """Store content once, atomically (temp file, fsync, rename); return its sha256."""
        digest, stored = self.write_snapshot(data)
        self.record_blob(digest, role, len(data), stored, now)
        return digest

    async def save_blob_async(self, data: bytes, role: str, now: datetime) -> str:
        """save_blob with the hashing, compression and fsync in a worker thread (the row on the caller's)."""
        digest, stored = await asyncio.to_thread(self.write_snapshot, data)
        self.record_blob(digest, role, len(data), stored, now)
        return digest

    def write_snapshot(self, data: bytes) -> tuple[str, int]:
        """Write the compressed file for this content if it is not there yet; (sha256, bytes on disk)."""
        digest = sha256_of(data)
        path = self.blob_path(digest)
        if path.exists():
            return digest, path.stat().st_size
        compressed = gzip.compress(data, compresslevel=6, mtime=0)
        write_atomic(path, compressed)
        return digest, len(compressed)

    def record_blob(self, digest: str, role: str, size: int, stored: int, now: datetime) -> None:
        """The row of a snapshot file (written before, by write_snapshot)."""
        self.db["blobs"].insert({"sha256": digest, "role": role, "size": size, "stored_size": stored,
                                 "created_at": iso(now)}, ignore=True)

    def read_blob(self, sha256: str) -> bytes:
        """The uncompressed content with this hash; StoreError if missing or corrupt."""
        try:
            data = gzip.decompress(self.blob_path(sha256).read_bytes())
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise StoreError(f"snapshot {sha256} is missing or unreadable: {e}") from e
        if sha256_of(data) != sha256:
            raise StoreError(f"snapshot {sha256} does not match its hash (corrupted on disk)")
        return data

    def read_text(self, version: Version) -> str:
        """The normalized text of a version."""
        return self.read_blob(version.text_sha256).decode("utf-8")

    # ---- sources ----------------------------------------------------------------------------------

    def sync_sources(self, sources: tuple[Source, ...], now: datetime) -> None:
        """Upsert the configured sources (rows of removed sources stay, with their history)."""
        with self.db.atomic():
            for s in sources:
                self.db["sources"].upsert({
                    "id": s.id, "org": s.org, "title": s.title, "kind": s.kind, "url": s.url,
                    "index_url": s.index, "follow": s.follow.pattern if s.follow else None,
                    "enabled": int(s.enabled), "note": s.note, "updated_at": iso(now),
                }, pk="id")

    # ---- writing a check's outcome ----------------------------------------------------------------

    def record_fetch(self, row: dict[str, Any]) -> int:
        """Insert one fetch row (every attempt, also when nothing changed); return its id."""
        row = {**row, "redirects": json.dumps(row.get("redirects", [])),
               "attempts": json.dumps(row.get("attempts", []))}
        return int(self.db["fetches"].insert(row).last_pk)

    def add_version(self, row: dict[str, Any]) -> Version:
        """Insert the next numbered version of a source."""
        number = self.db.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE source_id = ?",
                                 [row["source_id"]]).fetchone()[0]
        row = {**row, "number": number, "links": json.dumps(row.get("links", []))}
        version_id = self.db["versions"].insert(row).last_pk
        return self.version_by_id(int(version_id))

    def touch_version(self, version_id: int, seen_at: datetime) -> None:
        """The version was seen again."""
        self.db.execute("UPDATE versions SET last_seen_at = ? WHERE id = ?", [iso(seen_at), version_id])

    def link_fetch(self, fetch_id: int, version_id: int) -> None:
        """Point a fetch at the version it produced or confirmed."""
        self.db.execute("UPDATE fetches SET version_id = ? WHERE id = ?", [version_id, fetch_id])

    def add_change(self, row: dict[str, Any]) -> int:
        """Insert a change record; return its id."""
        return int(self.db["changes"].insert(encode_change(row)).last_pk)

    # ---- reading history --------------------------------------------------------------------------

    def version_by_id(self, version_id: int) -> Version:
        """A version by its row id."""
        rows = list(self.db.query("SELECT * FROM versions WHERE id = ?", [version_id]))
        if not rows:
            raise NotFoundError(f"no version with id {version_id}")
        return Version.from_row(rows[0])

    def version(self, source_id: str, number: int) -> Version:
        """Version `number` of a source."""
        rows = list(self.db.query("SELECT * FROM versions WHERE source_id = ? AND number = ?",
                                  [source_id, number]))
        if not rows:
            raise NotFoundError(f"source {source_id!r} has no version {number} (see `watcher history "
                                f"{source_id}`)")
        return Version.from_row(rows[0])

    def versions(self, source_id: str) -> list[Version]:
        """Every version of a source, oldest first."""
        return [Version.from_row(r) for r in
                self.db.query("SELECT * FROM versions WHERE source_id = ? ORDER BY number", [source_id])]

    def latest_version(self, source_id: str) -> Version | None:
        """The newest version of a source, if any."""
        rows = list(self.db.query("SELECT * FROM versions WHERE source_id = ? ORDER BY number DESC LIMIT 1",
                                  [source_id]))
        return Version.from_row(rows[0]) if rows else None

    def last_change_kind(self, source_id: str) -> str | None:
        """Kind of the newest change of a source ('removed' means it is currently gone)."""
        row = self.db.execute("SELECT kind FROM changes WHERE source_id = ? ORDER BY id DESC LIMIT 1",
                              [source_id]).fetchone()
        return row[0] if row else None

    def last_good_fetch(self, source_id: str, url: str) -> dict[str, Any] | None:
        """The newest fetch of this URL that yielded a version (for conditional GET and moves)."""
        rows = list(self.db.query(
            "SELECT * FROM fetches WHERE source_id = ? AND url = ? AND version_id IS NOT NULL "
            "ORDER BY id DESC LIMIT 1", [source_id, url]))
        return rows[0] if rows else None

    def fetches(self, source_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The newest fetches of a source."""
        return list(self.db.query("SELECT * FROM fetches WHERE source_id = ? ORDER BY id DESC LIMIT ?",
                                  [source_id, limit]))

    def failing_streak(self, source_id: str) -> dict[str, Any] | None:
        """The run of failed fetches since the last good one: first and last time, count, last status."""
        rows = self.db.execute(
            "SELECT started_at, status, error, id FROM fetches WHERE source_id = ? "
            "AND outcome IN ('error', 'bad_content', 'quarantined') "
            "AND id > COALESCE((SELECT MAX(id) FROM fetches WHERE source_id = ? AND outcome IN "
            "('new_version', 'unchanged', 'not_modified', 'gone')), 0) ORDER BY id", [source_id, source_id],
        ).fetchall()
        if not rows:
            return None
        return {"first_at": rows[0][0], "last_at": rows[-1][0], "count": len(rows), "last_status": rows[-1][1],
                "last_error": rows[-1][2], "first_fetch_id": rows[0][3]}

    def last_check_at(self, source_id: str) -> datetime | None:
        """When the newest fetch of a source started."""
        row = self.db.execute("SELECT MAX(started_at) FROM fetches WHERE source_id = ?", [source_id]).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def last_fetch(self, source_id: str) -> dict[str, Any] | None:
        """The newest fetch row of a source."""
        rows = list(self.db.query("SELECT * FROM fetches WHERE source_id = ? ORDER BY id DESC LIMIT 1",
                                  [source_id]))
        return rows[0] if rows else None

    def last_change(self, source_id: str) -> dict[str, Any] | None:
        """The newest change row of a source."""
        rows = list(self.db.query("SELECT * FROM changes WHERE source_id = ? ORDER BY id DESC LIMIT 1",
                                  [source_id]))
        return rows[0] if rows else None

    def save_schedule(self, source_id: str, next_run: datetime | None, interval: float, now: datetime) -> None:
        """Remember when the daemon runs a source next (None: not scheduled any more)."""
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO schedule (source_id, next_run_at, interval_seconds, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source_id) DO UPDATE SET next_run_at = excluded.next_run_at, "
                "interval_seconds = excluded.interval_seconds, updated_at = excluded.updated_at",
                [source_id, iso(next_run) if next_run else None, interval, iso(now)])

    def scheduled(self) -> dict[str, dict[str, Any]]:
        """The schedule rows by source id."""
        return {row["source_id"]: row for row in self.db.query("SELECT * FROM schedule")}

    def newest_good_fetch(self, source_id: str) -> dict[str, Any] | None:
        """The newest fetch of a source that worked (new version, unchanged, not modified, gone)."""
        rows = list(self.db.query(
            "SELECT * FROM fetches WHERE source_id = ? AND outcome IN ('new_version', 'unchanged', "
            "'not_modified', 'gone') ORDER BY id DESC LIMIT 1", [source_id]))
        return rows[0] if rows else None

    def changes(self, *, since: str | None = None, source_id: str | None = None,
                limit: int | None = None) -> list[dict[str, Any]]:
        """Change rows joined with their source, newest first."""
        where, params = ["1 = 1"], []
        if since:
            where.append("c.detected_at >= ?")
            params.append(since)
        if source_id:
            where.append("c.source_id = ?")
            params.append(source_id)
        sql = (f"SELECT c.*, s.org, s.title, s.kind AS source_kind FROM changes c JOIN sources s ON "
               f"s.id = c.source_id WHERE {' AND '.join(where)} ORDER BY c.detected_at DESC, c.id DESC")
        if limit:
            sql += f" LIMIT {int(limit)}"
        return list(self.db.query(sql, params))

    def account_changes(self, source_ids: tuple[str, ...], start: str, end: str) -> list[dict[str, Any]]:
        """Modifications of the given (explained_by) sources detected between start and end."""
        if not source_ids:
            return []
        marks = ", ".join("?" for _ in source_ids)
        return list(self.db.query(
            f"SELECT * FROM changes WHERE source_id IN ({marks}) AND kind IN ('modified', 'restored') "
            "AND detected_at >= ? AND detected_at <= ? ORDER BY detected_at, id", [*source_ids, start, end]))

    def has_account_changes_after(self, source_ids: tuple[str, ...], change_id: int) -> bool:
        """Whether any of these sources changed after the change with this id."""
        if not source_ids:
            return False
        marks = ", ".join("?" for _ in source_ids)
        return self.db.execute(f"SELECT 1 FROM changes WHERE source_id IN ({marks}) AND id > ? LIMIT 1",
                               [*source_ids, change_id]).fetchone() is not None

    def newest_change_id(self) -> int:
        """The id of the newest change (0 when there is none)."""
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM changes").fetchone()[0])

    def latest_texts(self, org: str, kind: str, exclude: str) -> list[str]:
        """The latest text of every other source of an organisation with this kind."""
        rows = self.db.execute(
            "SELECT v.text_sha256 FROM versions v JOIN sources s ON s.id = v.source_id WHERE s.org = ? AND "
            "s.kind = ? AND s.id != ? AND v.number = (SELECT MAX(number) FROM versions WHERE source_id = s.id)",
            [org, kind, exclude]).fetchall()
        return [self.read_blob(row[0]).decode("utf-8") for row in rows]

    def pending_changes(self) -> list[dict[str, Any]]:
        """Changes whose explanation verdict is not settled yet."""
        return list(self.db.query("SELECT * FROM changes WHERE explanation IS NOT NULL AND settled_at IS NULL "
                                  "ORDER BY id"))

    def update_change(self, change_id: int, values: dict[str, Any]) -> None:
        """Overwrite some columns of a change (re-evaluation of its verdict)."""
        self.db["changes"].update(change_id, encode_change(values))

    def iter_sources(self) -> Iterator[dict[str, Any]]:
        """Every source row."""
        yield from self.db.query("SELECT * FROM sources ORDER BY id")


_JSON_COLUMNS = ("hunks", "reasons", "explanation", "details")


def encode_change(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-encode the structured columns of a change row."""
    return {k: (json.dumps(v, ensure_ascii=False) if k in _JSON_COLUMNS and v is not None else v)
            for k, v in row.items()}
