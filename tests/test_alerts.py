"""Alerts end to end through `watcher check`: the outbox, alert records, webhooks, retries, digests, health."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.conftest import Project, source_entry
from tests.documents import policy_html
from tests.receiver import Receiver
from tests.server import DocServer
from tests.test_outcome3 import V1, _edit
from watcher.alerts.outbox import queue_alerts
from watcher.alerts.webhook import verify_signature
from watcher.pipeline import run_check
from watcher.sources import load_config
from watcher.store import Store

FAST = '[fetch]\ndelay_per_host = "0s"\nretries = 0\n[classify]\ngrace_window = "30d"\n'
SECRET = "test-signing-secret"
WEAKER = _edit(V1, "we will pause deployment", "we may pause deployment")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)


def webhook_channel(url: str, name: str = "hook", **extra: object) -> str:
    lines = ["[[channel]]", f'name = "{name}"', 'type = "webhook"', f'url = "{url}"', 'secret_env = "HOOK_SECRET"']
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def setup(server: DocServer, project: Project, channels: str, *, at: str = "2026-03-01T12:00:00Z",
          alerts: str = "") -> None:
    server.set("/policy", policy_html(V1, noise="1"))
    project.write_config(source_entry("lab-policy", server.url("/policy"), allow_private=True) + channels,
                         extra=FAST + alerts)
    result = project.run("check", "--at", at)
    assert result.exit_code == 0, result.output


def weaken(server: DocServer, project: Project, at: str = "2026-04-01T12:00:00Z") -> str:
    server.set("/policy", policy_html(WEAKER, noise="2"))
    result = project.run("check", "--at", at)
    assert result.exit_code == 0, result.output
    return result.output


def alert_list(project: Project) -> list[dict]:
    result = project.run("alerts", "--json", "--limit", "100")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_change_reaches_the_webhook_signed_with_the_changes_json_object(
        server: DocServer, project: Project, receiver: Receiver) -> None:
    setup(server, project, webhook_channel(receiver.url))
    assert receiver.received == []  # first capture is `info`: below the default min_severity (low)

    output = weaken(server, project)

    assert "1 new alert; alerts: 1 delivered" in output
    [post] = receiver.received
    assert verify_signature(post.body, SECRET, post.headers["X-Watcher-Signature"])
    body = post.json()
    [change] = [c for c in project.changes() if c["kind"] == "modified"]
    assert body["change"] == change  # the same object as `watcher changes --json`
    assert body["event"] == "change" and body["severity"] == change["severity"]
    assert body["delivery_id"] == post.headers["X-Watcher-Delivery"]
    assert body["link"] == f"http://127.0.0.1:8000/changes/{change['id']}"
    assert "pending" in body["headline"]


def test_every_alert_is_recorded_as_json_and_markdown_first(
        server: DocServer, project: Project, receiver: Receiver) -> None:
    setup(server, project, webhook_channel(receiver.url))
    weaken(server, project)

    alerts = alert_list(project)
    assert [a["event"] for a in alerts] == ["change", "change"]
    for alert in alerts:
        stored = json.loads((project.root / "alerts" / f"{alert['file']}.json").read_text())
        assert stored == alert["alert"]
        markdown = (project.root / "alerts" / f"{alert['file']}.md").read_text()
        assert alert["headline"].split(":")[0] in markdown
    newest, first = alerts
    assert first["deliveries"] == []  # recorded in alerts/ only
    [delivery] = newest["deliveries"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert "we [-will-] pause" in (project.root / "alerts" / f"{newest['file']}.md").read_text()


def test_a_channel_that_is_down_gets_the_alert_on_a_later_run_once(
        server: DocServer, project: Project, receiver: Receiver) -> None:
    setup(server, project, webhook_channel(receiver.url), alerts='[alerts]\nretry_initial = "1m"\n')
    receiver.fail_next(1, status=500)

    output = weaken(server, project)
    assert "1 failed (will retry)" in output
    [delivery] = alert_list(project)[0]["deliveries"]
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert "HTTP 500" in delivery["last_error"]

    rerun = project.run("check", "--at", "2026-04-01T12:00:30Z")  # before the backoff ends: not retried
    assert rerun.exit_code == 0 and len(receiver.received) == 1

    later = project.run("check", "--at", "2026-04-01T12:05:00Z")
    assert "alerts: 1 delivered" in later.output
    project.run("check", "--at", "2026-04-01T13:00:00Z")
    assert len(receiver.accepted()) == 1
    assert receiver.received[0].json()["delivery_id"] == receiver.received[1].json()["delivery_id"]
    [delivery] = alert_list(project)[0]["deliveries"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2


def test_one_failing_channel_never_blocks_another(server: DocServer, project: Project,
                                                   receiver: Receiver) -> None:
    dead = Receiver()
    dead_url = dead.url
    dead.close()  # nothing listens there any more: connection refused
    setup(server, project, webhook_channel(dead_url, "dead") + webhook_channel(receiver.url, "live"))

    output = weaken(server, project)

    assert len(receiver.accepted()) == 1
    assert "dead: change:" in output and "refused" in output
    statuses = {d["channel"]: d["status"] for d in alert_list(project)[0]["deliveries"]}
    assert statuses == {"dead": "pending", "live": "delivered"}


def test_alerts_retry_sends_what_is_pending_now(server: DocServer, project: Project, receiver: Receiver) -> None:
    setup(server, project, webhook_channel(receiver.url), alerts='[alerts]\nretry_initial = "6h"\n')
    receiver.fail_next(1, status=429)
    weaken(server, project)
    [delivery] = alert_list(project)[0]["deliveries"]
    assert delivery["status"] == "pending"

    result = project.run("alerts", "retry")

    assert result.exit_code == 0, result.output
    assert "1 undelivered; alerts: 1 delivered" in result.output
    assert len(receiver.accepted()) == 1
    listing = project.run("alerts").output
    assert "hook: delivered" in listing


def test_severity_and_org_filters_choose_channels(server: DocServer, project: Project,
                                                  receiver: Receiver) -> None:
    other = Receiver()
    try:
        setup(server, project, webhook_channel(receiver.url, "all", min_severity="info")
              + webhook_channel(other.url, "elsewhere", orgs=["Example Lab"], min_severity="high"))
        assert [r.json()["change"]["kind"] for r in receiver.accepted()] == ["first_seen"]
        weaken(server, project)
        assert len(receiver.accepted()) == 2
        expected = 1 if receiver.accepted()[1].json()["severity"] == "high" else 0
        assert len(other.accepted()) == expected
    finally:
        other.close()


def test_a_pending_verdict_alerts_again_when_the_grace_window_settles_it(
        server: DocServer, project: Project, receiver: Receiver) -> None:
    setup(server, project, webhook_channel(receiver.url))
    weaken(server, project)
    first = receiver.accepted()[-1].json()
    assert first["change"]["explanation"]["status"] == "pending"

    project.run("check", "--at", "2026-04-20T12:00:00Z")  # still inside the window: nothing new
    assert len(receiver.accepted()) == 1
    project.run("check", "--at", "2026-05-15T12:00:00Z")

    settled = receiver.accepted()[-1].json()
    assert settled["event"] == "settled" and settled["key"] == f"{first['key']}:settled"
    assert settled["change"]["explanation"]["status"] == "silent"
    assert settled["delivery_id"] != first["delivery_id"]
    project.run("check", "--at", "2026-05-16T12:00:00Z")
    assert len(receiver.accepted()) == 2


def test_a_failing_source_alerts_once_and_once_more_when_it_recovers(
        server: DocServer, project: Project, receiver: Receiver) -> None:
    setup(server, project, webhook_channel(receiver.url), alerts="[alerts]\nhealth_after = 3\n")
    server.set("/policy", "down for maintenance", status=503)
    for hour in range(10, 15):
        project.run("check", "--at", f"2026-03-02T{hour}:00:00Z")
    [failing] = [r.json() for r in receiver.accepted()]
    assert failing["event"] == "source_failing" and failing["health"]["failures_in_a_row"] == 3
    assert "HTTP 503" in (failing["health"]["last_error"] or "") or failing["health"]["last_status"] == 503

    server.set("/policy", policy_html(V1, noise="1"))
    project.run("check", "--at", "2026-03-02T16:00:00Z")
    project.run("check", "--at", "2026-03-02T17:00:00Z")
    events = [r.json()["event"] for r in receiver.accepted()]
    assert events == ["source_failing", "source_recovered"]


def test_a_digest_channel_sends_one_message_at_its_local_time(
        server: DocServer, project: Project, receiver: Receiver) -> None:
    setup(server, project, webhook_channel(receiver.url, "daily", mode="digest", digest_time="09:00",
                                           timezone="Europe/Berlin"))
    weaken(server, project, at="2026-04-01T05:00:00Z")  # 07:00 in Berlin (summer time): before 09:00
    assert receiver.received == []
    [delivery] = alert_list(project)[0]["deliveries"]
    assert delivery["status"] == "digest" and delivery["due_at"] == "2026-04-01T07:00:00Z"

    project.run("check", "--at", "2026-04-01T06:59:00Z")
    assert receiver.received == []
    project.run("check", "--at", "2026-04-01T07:01:00Z")  # a run after the digest time sends it

    [digest] = [r.json() for r in receiver.accepted()]
    assert digest["event"] == "digest" and digest["key"] == "digest:daily:2026-04-01T07:00:00Z"
    assert [item["event"] for item in digest["items"]] == ["change"]
    listing = project.run("alerts").output
    assert "sent in digest digest:daily:2026-04-01T07:00:00Z" in listing
    project.run("check", "--at", "2026-04-02T07:01:00Z")
    assert len(receiver.accepted()) == 1


def test_alerts_test_reports_success_and_the_exact_failure(project: Project, receiver: Receiver,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    dead = Receiver()
    dead_url = dead.url
    dead.close()
    project.write_config(source_entry("lab-policy", "http://127.0.0.1:1/policy")
                         + webhook_channel(receiver.url, "live") + webhook_channel(dead_url, "dead"))

    result = project.run("alerts", "test")

    assert result.exit_code == 1
    assert "live (webhook): ok" in result.output
    assert "dead (webhook): FAILED: refused" in result.output
    [post] = receiver.received
    assert post.json()["event"] == "test"
    only = project.run("alerts", "test", "--channel", "live")
    assert only.exit_code == 0 and "dead" not in only.output
    monkeypatch.delenv("HOOK_SECRET")
    missing = project.run("alerts", "test", "--channel", "live")
    assert "FAILED: config: environment variable HOOK_SECRET" in missing.output
    unknown = project.run("alerts", "test", "--channel", "nope")
    assert unknown.exit_code == 2 and "no [[channel]] named 'nope'" in unknown.output


# ---- crashes: nothing is lost, a repeat only inside the crash window ---------------------------------------


def test_killed_while_the_channel_holds_the_message_redelivers_with_the_same_id(
        server: DocServer, project: Project, receiver: Receiver) -> None:
    setup(server, project, webhook_channel(receiver.url))
    server.set("/policy", policy_html(WEAKER, noise="2"))
    receiver.stall_next(20)  # the receiver has the message but has not answered yet
    command = [sys.executable, "-m", "watcher", "--config", str(project.config), "check",
               "--at", "2026-04-01T12:00:00Z"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not receiver.received and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.kill()
    process.wait()
    assert len(receiver.received) == 1
    [delivery] = alert_list(project)[0]["deliveries"]
    assert delivery["status"] == "pending" and delivery["attempts"] == 0  # the kill came before the record

    result = project.run("check", "--at", "2026-04-01T12:01:00Z")

    assert "alerts: 1 delivered" in result.output
    first, second = (r.json() for r in receiver.received)
    assert first == second  # the repeat is the same message with the same delivery id
    [delivery] = alert_list(project)[0]["deliveries"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    project.run("check", "--at", "2026-04-01T13:00:00Z")
    assert len(receiver.received) == 2


def test_an_alert_stored_but_never_sent_is_sent_by_the_next_run(
        server: DocServer, project: Project, receiver: Receiver) -> None:
    setup(server, project, webhook_channel(receiver.url))
    server.set("/policy", policy_html(WEAKER, noise="2"))
    config = load_config(project.config)
    now = datetime(2026, 4, 1, 12, tzinfo=UTC)
    store = Store(project.root)
    try:
        asyncio.run(run_check(config, store, list(config.sources), now=now))
        assert queue_alerts(store, config, now) == ["change:2"]  # stored; the process dies before sending
    finally:
        store.close()
    assert receiver.received == []

    result = project.run("check", "--at", "2026-04-01T12:10:00Z")

    assert "0 new alerts; alerts: 1 delivered" in result.output
    assert [r.json()["key"] for r in receiver.accepted()] == ["change:2"]


def test_a_crash_while_storing_an_alert_leaves_the_change_to_be_alerted_again(
        server: DocServer, project: Project, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    setup(server, project, webhook_channel(receiver.url))
    server.set("/policy", policy_html(WEAKER, noise="2"))

    def crash(*args: object) -> None:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(Store, "_insert_delivery", crash)
        with pytest.raises(RuntimeError):
            project.run("check", "--at", "2026-04-01T12:00:00Z")
    files = sorted(p.name for p in (project.root / "alerts").iterdir())
    assert files == ["change-1.json", "change-1.md", "change-2.json", "change-2.md"]  # written before the row
    assert [a["key"] for a in alert_list(project)] == ["change:1"]  # ...which was rolled back
    assert receiver.received == []

    result = project.run("check", "--at", "2026-04-01T12:10:00Z")

    assert "1 new alert; alerts: 1 delivered" in result.output
    assert [a["key"] for a in alert_list(project)] == ["change:2", "change:1"]
    assert sorted(p.name for p in (project.root / "alerts").iterdir()) == files
    assert len(receiver.accepted()) == 1
