"""The durable outbox: make alerts from what the store recorded, then deliver them, once each, per channel.

    queue_alerts(store, config, now):
        for each change without an alert        -> change alert (says `pending` when it is)
        for each pending-alerted change settled  -> settled alert, under its own key
        for each source failing N times in a row -> source_failing, once; when it works again -> recovered
        each alert: alerts/<file>.json and .md written, then one transaction: the alert row, a delivery per
        channel that wants it (immediate: due now; digest: due at the channel's next digest time), and the
        mark on its change
    deliver(store, config, now):
        digest channels whose time has come     -> one digest alert bundling what waited
        every due delivery                      -> send; delivered, or retry later with exponential backoff
        a channel that fails is not tried again in this run; other channels go on

Delivery is at least once: a delivery is marked delivered only after its channel accepted it, so a repeat
can only happen when a crash falls between the two; the delivery id (stable per alert and channel) lets
receivers drop it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from watcher.alerts.build import change_alert, digest_alert, health_alert
from watcher.alerts.channels import send_alert
from watcher.alerts.content import verdict_of
from watcher.alerts.markdown import render_markdown
from watcher.errors import DeliveryError
from watcher.records import change_record
from watcher.sources import Channel, Config
from watcher.store import Store, iso

log = logging.getLogger(__name__)

SendFunction = Callable[..., None]


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    delivered: list[str] = field(default_factory=list)   # "channel: alert key"
    failed: list[str] = field(default_factory=list)      # "channel: alert key: error"
    waiting: int = 0                                     # due deliveries left for later (channel failed)

    def line(self) -> str:
        """One summary line for the CLI."""
        text = f"alerts: {len(self.delivered)} delivered"
        if self.failed:
            text += f", {len(self.failed)} failed (will retry)"
        if self.waiting:
            text += f", {self.waiting} waiting for a failed channel"
        return text


# ---- making alerts ---------------------------------------------------------------------------------------


def queue_alerts(store: Store, config: Config, now: datetime) -> list[str]:
    """Store an alert for everything that needs one; the keys of the new alerts."""
    made = []
    for row in store.unalerted_changes():
        record = change_record(store, row)
        marks = ("alerted_at",) if verdict_of(record) == "pending" else ("alerted_at", "settled_alerted_at")
        made += _store(store, config, change_alert(record, "change", iso(now), config.web.base_url), now,
                       change_id=row["id"], marks=marks)
    for row in store.unannounced_settlements():
        record = change_record(store, row)
        made += _store(store, config, change_alert(record, "settled", iso(now), config.web.base_url), now,
                       change_id=row["id"], marks=("settled_alerted_at",))
    for alert in health_alerts(store, config, now):
        made += _store(store, config, alert, now)
    return made


def health_alerts(store: Store, config: Config, now: datetime) -> list[dict[str, Any]]:
    """source_failing for sources failing `health_after` times in a row (once per streak), and
    source_recovered for those that were reported failing and work again."""
    alerts = []
    for source in store.iter_sources():
        streak = store.failing_streak(source["id"])
        last = store.last_health_alert(source["id"])
        if streak and streak["count"] >= config.alerts.health_after and last != "source_failing":
            health = {"url": source["url"], "failures_in_a_row": streak["count"],
                      "failing_since": streak["first_at"], "last_error": streak["last_error"],
                      "last_status": streak["last_status"], "recovered_at": None}
            alerts.append(health_alert(source, "source_failing", streak["first_fetch_id"], health, iso(now),
                                       config.web.base_url))
        elif not streak and last == "source_failing":
            good = store.newest_good_fetch(source["id"])
            if good:
                health = {"url": good["final_url"] or source["url"], "failures_in_a_row": 0,
                          "failing_since": None, "last_error": None, "last_status": good["status"],
                          "recovered_at": good["started_at"]}
                alerts.append(health_alert(source, "source_recovered", good["id"], health, iso(now),
                                           config.web.base_url))
    return alerts


def _store(store: Store, config: Config, alert: dict[str, Any], now: datetime, *, change_id: int | None = None,
           marks: tuple[str, ...] = ()) -> list[str]:
    deliveries = [{"channel": c.name, "status": "digest" if c.mode == "digest" else "pending",
                   "due_at": iso(next_digest_time(c, now) if c.mode == "digest" else now)}
                  for c in config.channels if c.wants(alert)]
    alert_id = store.store_alert(alert, render_markdown(alert), deliveries, change_id=change_id, marks=marks)
    return [alert["key"]] if alert_id else []


def next_digest_time(channel: Channel, now: datetime) -> datetime:
    """The first digest time of the channel (in its time zone) after `now`, in UTC."""
    zone = ZoneInfo(channel.timezone)
    local = now.astimezone(zone)
    due = datetime.combine(local.date(), channel.digest_time, tzinfo=zone)
    if due <= local:
        due = datetime.combine(local.date() + timedelta(days=1), channel.digest_time, tzinfo=zone)
    return due.astimezone(UTC)


# ---- delivering ------------------------------------------------------------------------------------------


def deliver(store: Store, config: Config, now: datetime, *, env: Mapping[str, str] | None = None,
            send: SendFunction = send_alert) -> DeliveryReport:
    """Form due digests, then attempt every due delivery once; record each attempt."""
    for channel in config.channels:
        if channel.mode == "digest":
            form_digest(store, channel, now)
    report, broken = DeliveryReport(), set()
    channels = {c.name: c for c in config.channels}
    for row in store.due_deliveries(iso(now)):
        channel = channels.get(row["channel"])
        if channel is None:
            continue  # channel removed from sources.toml: kept pending, listed by `watcher alerts`
        if channel.name in broken:
            report.waiting += 1
            continue
        if not _attempt(store, config, channel, row, now, report, env, send):
            broken.add(channel.name)
    return report


def form_digest(store: Store, channel: Channel, now: datetime) -> str | None:
    """Bundle the deliveries waiting for this channel's digest, if its time has come; the digest key."""
    members = store.digest_members(channel.name, iso(now))
    if not members:
        return None
    due = max(m["due_at"] for m in members)
    alert = digest_alert(channel.name, due, [m["payload"] for m in members], iso(now))
    store.store_alert(alert, render_markdown(alert), [{"channel": channel.name, "status": "pending",
                                                       "due_at": iso(now)}],
                      digest_of=[m["id"] for m in members])
    return alert["key"]


def _attempt(store: Store, config: Config, channel: Channel, row: dict[str, Any], now: datetime,
             report: DeliveryReport, env: Mapping[str, str] | None, send: SendFunction) -> bool:
    """One delivery attempt, recorded; False when the channel itself failed."""
    label = f"{channel.name}: {row['key']}"
    try:
        send(channel, row["payload"], row["delivery_id"], timeout=config.alerts.send_timeout, env=env)
    except DeliveryError as e:
        _record_failure(store, config, row, now, str(e), e.retry_after)
        report.failed.append(f"{label}: {e}")
        return False
    except Exception as e:  # a bug rendering one alert must not stop the others
        log.exception("alert %s could not be sent to %s", row["key"], channel.name)
        _record_failure(store, config, row, now, f"internal error: {type(e).__name__}: {e}", None)
        report.failed.append(f"{label}: internal error: {e}")
        return True
    store.delivery_attempted(row["id"], iso(now), error=None, next_due=None)
    report.delivered.append(label)
    return True


def _record_failure(store: Store, config: Config, row: dict[str, Any], now: datetime, error: str,
                    retry_after: float | None) -> None:
    delay = retry_delay(config, row["attempts"] + 1, retry_after)
    created = datetime.fromisoformat(row["payload"]["created_at"])
    give_up = (now - created).total_seconds() >= config.alerts.give_up_after
    store.delivery_attempted(row["id"], iso(now), error=error, next_due=iso(now + timedelta(seconds=delay)),
                             give_up=give_up)


def retry_delay(config: Config, attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt: retry_initial doubled per attempt, at most retry_max, at least the
    channel's Retry-After."""
    delay = min(config.alerts.retry_initial * 2 ** max(attempts - 1, 0), config.alerts.retry_max)
    return max(delay, retry_after or 0.0)
