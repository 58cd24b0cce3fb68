"""The alert outbox in the store: alerts (files first, then rows), deliveries per channel, digests.

Guarantees kept here:
- an alert's JSON and Markdown files are written (atomically) before its row; the row, its deliveries
  and the mark on its change are one transaction, so a change is never marked alerted before its alert
  is stored, and a crash in between leaves the change unmarked (the alert is made again, same key);
- a delivery is marked delivered only after its channel accepted it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from pathlib import Path
from typing import Any

import sqlite_utils

from watcher.store.files import write_atomic

_CHANGE_JOIN = ("SELECT c.*, s.org, s.title, s.kind AS source_kind FROM changes c "
                "JOIN sources s ON s.id = c.source_id")


class AlertRecords:
    """Alert and delivery queries; mixed into Store (which provides `db` and `alerts`)."""

    db: sqlite_utils.Database
    alerts: Path

    def install_id(self) -> str:
        """A random id of this data folder, made once; part of every delivery id."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()
        if row:
            return str(row[0])
        value = secrets.token_hex(8)
        with self.db.atomic():
            self.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('install_id', ?)", [value])
        return str(self.db.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()[0])

    def delivery_id(self, alert_key: str, channel: str) -> str:
        """The stable identity of one alert on one channel (email Message-ID, Slack and webhook id)."""
        return hashlib.sha256(f"{self.install_id()}\n{alert_key}\n{channel}".encode()).hexdigest()[:32]

    # ---- what needs an alert ----------------------------------------------------------------------

    def unalerted_changes(self) -> list[dict[str, Any]]:
        """Changes (joined with their source) that have no alert yet, oldest first."""
        return list(self.db.query(f"{_CHANGE_JOIN} WHERE c.alerted_at IS NULL ORDER BY c.id"))

    def unannounced_settlements(self) -> list[dict[str, Any]]:
        """Changes alerted while pending whose verdict has settled since, oldest first."""
        return list(self.db.query(
            f"{_CHANGE_JOIN} WHERE c.alerted_at IS NOT NULL AND c.settled_at IS NOT NULL "
            "AND c.settled_alerted_at IS NULL ORDER BY c.id"))

    def last_health_alert(self, source_id: str) -> str | None:
        """The event of the newest health alert of a source (source_failing or source_recovered)."""
        row = self.db.execute(
            "SELECT event FROM alerts WHERE source_id = ? AND event IN ('source_failing', 'source_recovered') "
            "ORDER BY id DESC LIMIT 1", [source_id]).fetchone()
        return row[0] if row else None

    def has_alert(self, key: str) -> bool:
        """Whether an alert with this key is stored."""
        return self.db.execute("SELECT 1 FROM alerts WHERE key = ?", [key]).fetchone() is not None

    # ---- storing ---------------------------------------------------------------------------------

    def store_alert(self, alert: dict[str, Any], markdown: str, deliveries: list[dict[str, str]], *,
                    change_id: int | None = None, marks: tuple[str, ...] = (), digest_of: list[int] = ()
                    ) -> int | None:
        """Write alerts/<file>.json and .md, then in one transaction the alert row, one delivery row per
        {channel, status, due_at}, the `marks` columns (alerted_at, settled_alerted_at) of its change, and
        for a digest the deliveries it carries. None when an alert with this key exists already."""
        if self.has_alert(alert["key"]):
            with self.db.atomic():
                self._mark_change(change_id, marks, alert["created_at"])
            return None
        file = alert_file_stem(alert)
        write_atomic(self.alerts / f"{file}.json",
                     (json.dumps(alert, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        write_atomic(self.alerts / f"{file}.md", markdown.encode("utf-8"))
        with self.db.atomic():
            alert_id = self._insert_alert(alert, file, change_id)
            for delivery in deliveries:
                self._insert_delivery(alert_id, alert["key"], delivery)
            self._mark_change(change_id, marks, alert["created_at"])
            if digest_of:
                marks = ", ".join("?" for _ in digest_of)
                self.db.execute(f"UPDATE deliveries SET digest_alert_id = ? WHERE id IN ({marks})",
                                [alert_id, *digest_of])
        return alert_id

    def _insert_alert(self, alert: dict[str, Any], file: str, change_id: int | None) -> int:
        cursor = self.db.execute(
            "INSERT INTO alerts (key, event, created_at, source_id, change_id, org, severity, headline, file, "
            "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [alert["key"], alert["event"], alert["created_at"], alert.get("source"), change_id,
             alert.get("org"), alert["severity"], alert["headline"], file,
             json.dumps(alert, ensure_ascii=False)])
        return int(cursor.lastrowid)

    def _insert_delivery(self, alert_id: int, key: str, delivery: dict[str, str]) -> None:
        self.db.execute(
            "INSERT INTO deliveries (alert_id, channel, delivery_id, status, due_at) VALUES (?, ?, ?, ?, ?)",
            [alert_id, delivery["channel"], self.delivery_id(key, delivery["channel"]), delivery["status"],
             delivery["due_at"]])

    def _mark_change(self, change_id: int | None, marks: tuple[str, ...], when: str) -> None:
        for mark in marks if change_id is not None else ():
            assert mark in ("alerted_at", "settled_alerted_at")
            self.db.execute(f"UPDATE changes SET {mark} = ? WHERE id = ? AND {mark} IS NULL", [when, change_id])

    # ---- delivering ------------------------------------------------------------------------------

    def due_deliveries(self, now: str) -> list[dict[str, Any]]:
        """Pending deliveries whose time has come, oldest first, with their alert payload."""
        return [_with_payload(row) for row in self.db.query(
            "SELECT d.*, a.key, a.payload FROM deliveries d JOIN alerts a ON a.id = d.alert_id "
            "WHERE d.status = 'pending' AND d.due_at <= ? ORDER BY d.id", [now])]

    def digest_members(self, channel: str, now: str) -> list[dict[str, Any]]:
        """Deliveries waiting for a digest of this channel whose digest time has come."""
        return [_with_payload(row) for row in self.db.query(
            "SELECT d.*, a.key, a.payload FROM deliveries d JOIN alerts a ON a.id = d.alert_id "
            "WHERE d.channel = ? AND d.status = 'digest' AND d.digest_alert_id IS NULL AND d.due_at <= ? "
            "ORDER BY d.id", [channel, now])]

    def delivery_attempted(self, delivery_id: int, now: str, *, error: str | None, next_due: str | None,
                           give_up: bool = False) -> None:
        """Record one attempt: delivered (error None), to retry at next_due, or given up (failed)."""
        if error is None:
            sql = ("UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, last_attempt_at = ?, "
                   "delivered_at = ?, last_error = NULL WHERE id = ?")
            params = [now, now, delivery_id]
        else:
            sql = ("UPDATE deliveries SET status = ?, attempts = attempts + 1, last_attempt_at = ?, "
                   "last_error = ?, due_at = COALESCE(?, due_at) WHERE id = ?")
            params = ["failed" if give_up else "pending", now, error, next_due, delivery_id]
        with self.db.atomic():
            self.db.execute(sql, params)

    def requeue_deliveries(self, now: str, channel: str | None = None) -> int:
        """Make every undelivered (pending or failed) delivery due now; how many."""
        sql = "UPDATE deliveries SET status = 'pending', due_at = ? WHERE status IN ('pending', 'failed')"
        params: list[Any] = [now]
        if channel:
            sql += " AND channel = ?"
            params.append(channel)
        with self.db.atomic():
            return int(self.db.execute(sql, params).rowcount)

    # ---- reading ---------------------------------------------------------------------------------

    def alert_rows(self, *, limit: int | None = None, since: str | None = None) -> list[dict[str, Any]]:
        """Alerts newest first, each with `deliveries`: its rows in the deliveries table."""
        sql, params = "SELECT * FROM alerts", []
        if since:
            sql += " WHERE created_at >= ?"
            params.append(since)
        sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        rows = list(self.db.query(sql, params))
        for row in rows:
            row["deliveries"] = list(self.db.query(
                "SELECT d.*, g.key AS digest_key FROM deliveries d LEFT JOIN alerts g ON g.id = d.digest_alert_id "
                "WHERE d.alert_id = ? ORDER BY d.channel", [row["id"]]))
        return rows

    def digest_status(self, digest_alert_id: int) -> str | None:
        """The status of the delivery that carries a digest."""
        row = self.db.execute("SELECT status FROM deliveries WHERE alert_id = ?", [digest_alert_id]).fetchone()
        return row[0] if row else None


def alert_file_stem(alert: dict[str, Any]) -> str:
    """alerts/<stem>.json: the key, safe as a file name on every system. Deterministic, so an alert made
    again after a crash overwrites its own files instead of leaving a second copy."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", alert["key"]).strip("-")[:150]


def _with_payload(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "payload": json.loads(row["payload"])}
