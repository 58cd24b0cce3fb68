"""Slack alerts: the Block Kit payload (content, limits, hostile document text) and delivery against a real
loopback server standing in for Slack's incoming webhook."""

from __future__ import annotations

import copy
import json
import socket
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.slack_receiver import (
    InvalidPayload,
    SlackReceiver,
    mrkdwn_texts,
    text_objects,
    units,
    unsafe_mrkdwn,
    validate,
)
from watcher import __version__
from watcher.alerts.build import change_alert, digest_alert, health_alert, sample_alert
from watcher.alerts.http import describe_network_error, post_json, retry_after_seconds, shown_url
from watcher.alerts.slack import clip, escape, send_slack, slack_payload
from watcher.errors import DeliveryError

NOW = "2024-05-01T12:00:00Z"
BASE = "https://watcher.example.org"
HOSTILE = "<!channel> <!here> <@U1> <#C1> <https://evil.example|click> & *bold* _it_ ~s~ `c`\r\nline2\rline3"


@pytest.fixture
def receiver() -> Iterator[SlackReceiver]:
    slack = SlackReceiver()
    yield slack
    slack.close()


def sample() -> dict[str, Any]:
    return sample_alert(NOW, BASE)


def record(**changes: Any) -> dict[str, Any]:
    """The made-up change of the sample alert, as a change record, with `changes` applied."""
    rec = copy.deepcopy(sample()["change"])
    rec.update(changes)
    return rec


def all_text(payload: dict[str, Any]) -> str:
    return "\n".join([payload["text"], *(t["text"] for t in text_objects(payload))])


def hostile_record(hunks: int = 200) -> dict[str, Any]:
    long = ("x" * 99 + " ") * 500  # 50,000 characters
    hunk = {"old_text": HOSTILE + long, "new_text": long + HOSTILE, "segments": [["-", HOSTILE], ["+", long]],
            "material": True, "tags": [HOSTILE, "IV"], "direction": HOSTILE, "section": HOSTILE + long,
            "reasons": [HOSTILE], "explanation": "silent"}
    return record(
        org=HOSTILE + long, title=HOSTILE + long, source=HOSTILE, url="https://x.example/<!channel>|a>" + long,
        old_url=HOSTILE, kind="moved", severity="high", reasons=[HOSTILE + long] * 30,
        hunks=[dict(hunk, old_text=f"{i} {hunk['old_text']}") for i in range(hunks)],
        explanation={"status": "partial", "reason_given": True, "evidence": [
            {"source": HOSTILE + long, "url": HOSTILE + long, "text": HOSTILE + long, "hunks": [0]}] * 5},
        old={"version": 1, "text_sha256": "0" * 64, "raw_sha256": "1" * 64, "fetched_at": HOSTILE,
             "last_seen_at": NOW, "url": HOSTILE + long},
        new={"version": 2, "text_sha256": "2" * 64, "raw_sha256": "3" * 64, "fetched_at": NOW,
             "last_seen_at": NOW, "url": HOSTILE + long},
    )


def assert_inert(payload: dict[str, Any]) -> None:
    """Valid for Slack, nothing a document said became a mention or link, no CR anywhere."""
    validate(payload)
    assert unsafe_mrkdwn(payload, BASE) == []
    for text in mrkdwn_texts(payload):
        for bad in ("<!channel>", "<!here>", "<@U1>", "<#C1>", "<https://evil.example"):
            assert bad not in text
    assert "\r" not in json.dumps(payload)


# ---- the stand-in's own checks -------------------------------------------------------------------------

def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(("payload", "error"), [
    ({"blocks": [section("x")]}, "no_text"),
    ({"text": "x", "blocks": [section("x")], "delivery": "d"}, "unknown top-level"),
    ({"text": "x", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]}, "at most 150"),
    ({"text": "x", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]}, "plain_text"),
    ({"text": "x", "blocks": [section("s" * 3001)]}, "at most 3000"),
    ({"text": "x", "blocks": [section(" ")]}, "1 or more"),
    ({"text": "x", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}]}, "1 to 10"),
    ({"text": "x", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}]}, "2000"),
    ({"text": "x", "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}]}, "1 to 10"),
    ({"text": "x", "blocks": [{"type": "image"}]}, "unknown block type"),
    ({"text": "x", "blocks": [section("s" * 2900)] * 5}, "msg_blocks_too_long"),
])
def test_receiver_rejects_what_slack_rejects(payload: dict[str, Any], error: str) -> None:
    with pytest.raises(InvalidPayload, match=error):
        validate(payload)


def test_unsafe_mrkdwn_finds_live_markup() -> None:
    payload = {"text": "ok &amp; fine", "blocks": [section(f"<{BASE}/changes/1|ours> &lt;!channel&gt;")]}
    assert unsafe_mrkdwn(payload, BASE) == []
    for bad in ("<!channel>", "<@U1>", "<https://evil.example|click>", f"<{BASE}/x>", "a < b", "a & b"):
        assert unsafe_mrkdwn({"text": "x", "blocks": [section(bad)]}, BASE), bad


# ---- the payload -------------------------------------------------------------------------------------------

def test_sample_alert_payload_is_valid_and_says_everything() -> None:
    payload = slack_payload(sample(), "dlv-42")
    validate(payload)
    assert unsafe_mrkdwn(payload, BASE) == []
    text = all_text(payload)
    assert payload["text"].startswith("watcher test alert: Example Lab")
    assert payload["blocks"][0]["type"] == "header"
    assert payload["blocks"][0]["text"]["text"] == sample()["headline"]
    for expected in ("Example Lab", "Example Lab Safety Framework (sample alert)", "*Severity*\nhigh",
                     "modified", "not explained publicly", "weakened: commitment IV",
                     "> We will pause training within 7 days of reaching a critical threshold.",
                     "> We will pause training within 30 days of reaching a critical threshold.",
                     "removed `7`", "added `30`", "*Commitments*\nIV", "0" * 64, "3" * 64,
                     f"<{BASE}/changes/0|View change in watcher>", "delivery `dlv-42`", "test alert"):
        assert expected in text, expected
    assert payload["blocks"][-1]["type"] == "context"
    assert "dlv-42" in payload["blocks"][-1]["elements"][0]["text"]
    assert all(t.get("verbatim") is True for t in text_objects(payload) if t["type"] == "mrkdwn")


def test_change_alert_without_test_wording_and_with_evidence() -> None:
    rec = record(explanation={"status": "explained", "reason_given": True, "evidence": [
        {"source": "changelog", "url": "https://example.org/changes?a=1&b=2", "text": "We extended the deadline.",
         "hunks": [0]}]})
    payload = slack_payload(change_alert(rec, "change", NOW, BASE), "d1")
    validate(payload)
    text = all_text(payload)
    assert "test alert" not in text
    assert "*Explanation verdict:* explained publicly." in text
    assert "Evidence from changelog `https://example.org/changes?a=1&amp;b=2`" in text
    assert "> We extended the deadline." in text
    assert "gives a reason" in text


def test_pending_verdict_is_said_clearly() -> None:
    rec = record(explanation={"status": "pending", "reason_given": False, "evidence": []})
    alert = change_alert(rec, "change", NOW, BASE)
    payload = slack_payload(alert, "d1")
    validate(payload)
    text = all_text(payload)
    assert "*Verdict pending:* no public account of this change yet" in text
    assert "will alert again when the verdict settles" in text
    assert "pending" in payload["text"]


def test_settled_verdict_says_it_settled_and_what_it_is_now() -> None:
    rec = record(explanation={"status": "silent", "reason_given": False, "evidence": []})
    alert = change_alert(rec, "settled", NOW, BASE)
    payload = slack_payload(alert, "d1")
    validate(payload)
    text = all_text(payload)
    assert payload["text"].startswith("verdict settled: Example Lab")
    assert "*Verdict settled:* the grace window is over; the verdict is now *not explained publicly*." in text
    assert "pending" not in text


def test_change_without_verdict_or_hunks_is_still_valid() -> None:
    rec = record(explanation=None, hunks=[], reasons=[], old=None, kind="added", severity=None)
    payload = slack_payload(change_alert(rec, "change", NOW, BASE), "d1")
    validate(payload)
    text = all_text(payload)
    assert "Verdict" in text and "*Verdict*\nnone" in text
    assert "Hunk" not in text
    assert "after: text sha256" in text and "before:" not in text


def test_hostile_document_text_stays_inert_and_within_limits() -> None:
    payload = slack_payload(change_alert(hostile_record(), "change", NOW, BASE), "d<!channel>")
    assert_inert(payload)
    text = all_text(payload)
    assert "&lt;!channel&gt;" in text and "&lt;@U1&gt;" in text
    assert "&lt;https://evil.example|click&gt;" in text
    assert "&amp;" in text
    assert "and 197 more hunks" in text
    assert "and 3 more pieces of evidence" in text
    assert "and 25 more reasons" in text
    assert sum(units(t["text"]) for t in text_objects(payload)) <= 12000
    assert units(payload["text"]) <= 500
    header = payload["blocks"][0]["text"]["text"]
    assert units(header) <= 150 and "\n" not in header  # plain_text: Slack never parses it


def test_hostile_link_base_cannot_break_out_of_our_link() -> None:
    base = "https://w.example/a|<!channel>b> c&d"
    payload = slack_payload(change_alert(record(), "change", NOW, base), "d1")
    validate(payload)
    assert unsafe_mrkdwn(payload, "https://w.example/a") == []
    assert "<https://w.example/a%7C%3C!channel%3Eb%3E%20c&amp;d/changes/0|View change in watcher>" in all_text(payload)


def test_non_http_link_is_not_linked() -> None:
    payload = slack_payload(change_alert(record(), "change", NOW, "javascript:alert(1)//"), "d1")
    validate(payload)
    assert unsafe_mrkdwn(payload, "https://") == []
    assert "View change in watcher: `javascript:alert(1)//" in all_text(payload)


def test_clip_never_cuts_an_entity_in_half() -> None:
    escaped = escape("a" * 10 + "<" * 100)
    for limit in range(2, 60):
        cut = clip(escaped, limit)
        assert units(cut) <= limit
        body = cut.rstrip("\u2026")
        assert body.count("&") == body.count("&lt;")
    assert clip("\U0001f600" * 100, 10) == "\U0001f600" * 4 + "\u2026"  # emoji count twice in UTF-16


# ---- source health --------------------------------------------------------------------------------------

SOURCE = {"id": "lab-framework", "org": "Example Lab", "title": "Frontier Policy"}


def test_source_failing_alert() -> None:
    health = {"url": "https://example.org/policy", "failures_in_a_row": 5, "failing_since": "2024-04-30T00:00:00Z",
              "last_error": "HTTP 503 <!channel> & " + "e" * 20000, "last_status": 503, "recovered_at": None}
    alert = health_alert(SOURCE, "source_failing", 7, health, NOW, BASE)
    payload = slack_payload(alert, "d-health")
    assert_inert(payload)
    text = all_text(payload)
    for expected in ("*Failures in a row*\n5", "*Failing since*\n2024-04-30T00:00:00Z", "*Last HTTP status*\n503",
                     "> HTTP 503 &lt;!channel&gt; &amp; eee", "`https://example.org/policy`",
                     f"<{BASE}/sources/lab-framework|View source in watcher>", "alert once more when it recovers",
                     "delivery `d-health`"):
        assert expected in text, expected
    assert payload["text"] == "Example Lab, Frontier Policy: failing 5 times in a row since 2024-04-30T00:00:00Z"


def test_source_recovered_alert() -> None:
    health = {"url": "https://example.org/policy", "failures_in_a_row": 0, "failing_since": "2024-04-30T00:00:00Z",
              "last_error": None, "last_status": 200, "recovered_at": "2024-05-01T11:00:00Z"}
    payload = slack_payload(health_alert(SOURCE, "source_recovered", 8, health, NOW, BASE), "d2")
    assert_inert(payload)
    text = all_text(payload)
    assert "*Working again since*\n2024-05-01T11:00:00Z" in text
    assert "*Had been failing since*\n2024-04-30T00:00:00Z" in text
    assert "works again" in text


# ---- digest ---------------------------------------------------------------------------------------------

def digest_items(n: int, headline: str = "") -> list[dict[str, Any]]:
    items = []
    for i in range(n):
        org = f"Org {i % 7}"
        level = ("high", "medium", "low", "info")[i % 4]
        items.append({"org": org, "severity": level, "headline": f"{org}, doc {i}: modified ({level}){headline}",
                      "link": f"{BASE}/changes/{i}", "event": "change"})
    return items


def test_digest_groups_by_organisation_and_severity() -> None:
    payload = slack_payload(digest_alert("daily", NOW, digest_items(8), NOW), "d-dig")
    assert_inert(payload)
    text = all_text(payload)
    assert payload["text"].startswith("watcher digest: 8 alerts from 7 organisations")
    org0 = text.index("*Org 0*")
    assert text.index("*Org 1*") > org0
    assert text.index("_high_", org0) < text.index("• Org 0, doc 0", org0) < text.index("_info_", org0)
    assert f"• Org 0, doc 7: modified (info) <{BASE}/changes/7|view>" in text
    assert "more alert" not in text


def test_digest_with_300_items_stays_within_slack_limits() -> None:
    payload = slack_payload(digest_alert("daily", NOW, digest_items(300, " " + HOSTILE * 3), NOW), "d-dig")
    assert_inert(payload)
    assert len(payload["blocks"]) <= 50
    shown = sum(t["text"].count("|view>") for t in text_objects(payload))
    assert 0 < shown < 300
    last = payload["blocks"][-2]["elements"][0]["text"]
    assert last.startswith(f"and {300 - shown} more alerts")
    assert "delivery `d-dig`" in payload["blocks"][-1]["elements"][0]["text"]


def test_digest_of_many_short_items_fits_in_blocks() -> None:
    items = [{"org": f"O{i}", "severity": "low", "headline": f"h{i}", "link": None} for i in range(300)]
    payload = slack_payload(digest_alert("daily", NOW, items, NOW), "d")
    assert_inert(payload)
    assert len(payload["blocks"]) <= 50
    assert sum(t["text"].count("• h") for t in text_objects(payload)) == 300


# ---- sending --------------------------------------------------------------------------------------------

def test_send_slack_delivers_the_payload(receiver: SlackReceiver) -> None:
    payload = slack_payload(sample(), "dlv-1")
    send_slack(receiver.url, payload, channel="team", timeout=5)
    assert receiver.bodies == [payload]
    assert receiver.answers == [(200, "ok")]
    headers = receiver.requests[0]
    assert headers["User-Agent"].startswith(f"watcher/{__version__} (+https://")
    assert headers["Content-Type"].startswith("application/json")


def test_send_slack_hostile_payload_is_accepted(receiver: SlackReceiver) -> None:
    payload = slack_payload(change_alert(hostile_record(), "change", NOW, BASE), "dlv-2")
    send_slack(receiver.url, payload, channel="team", timeout=5)
    assert receiver.answers == [(200, "ok")]
    assert unsafe_mrkdwn(receiver.bodies[0], BASE) == []


def test_server_error_is_http_and_redacts_the_webhook(receiver: SlackReceiver) -> None:
    receiver.fail_next(1, 500)
    with pytest.raises(DeliveryError) as caught:
        send_slack(receiver.url, slack_payload(sample(), "d"), channel="team", timeout=5)
    error = caught.value
    assert error.reason == "http" and error.channel == "team" and error.retry_after is None
    host, port = receiver.httpd.server_address[:2]
    assert f"HTTP 500 from http://{host}:{port}/\u2026: internal_error" in error.detail
    assert "secret-token" not in str(error) and "/services/" not in str(error)
    send_slack(receiver.url, slack_payload(sample(), "d"), channel="team", timeout=5)  # the next one works
    assert receiver.answers[-1] == (200, "ok")


def test_rate_limited_carries_retry_after(receiver: SlackReceiver) -> None:
    receiver.fail_next(1, 429, retry_after="42")
    with pytest.raises(DeliveryError) as caught:
        send_slack(receiver.url, slack_payload(sample(), "d"), channel="team", timeout=5)
    assert caught.value.reason == "http" and caught.value.retry_after == 42.0
    assert "HTTP 429" in caught.value.detail


def test_503_carries_retry_after_but_500_does_not(receiver: SlackReceiver) -> None:
    receiver.fail_next(1, 503, retry_after="7")
    receiver.fail_next(1, 500, retry_after="7")
    errors = []
    for _ in range(2):
        with pytest.raises(DeliveryError) as caught:
            post_json(receiver.url, b"{}", channel="hook", timeout=5)
        errors.append(caught.value)
    assert [e.retry_after for e in errors] == [7.0, None]
    assert receiver.url in errors[0].detail  # not redacted unless asked


def test_invalid_blocks_are_reported(receiver: SlackReceiver) -> None:
    payload = {"text": "x", "blocks": [{"type": "divider"}] * 51}
    with pytest.raises(DeliveryError) as caught:
        send_slack(receiver.url, payload, channel="team", timeout=5)
    assert caught.value.reason == "http"
    assert "HTTP 400" in caught.value.detail and "invalid_blocks" in caught.value.detail


def test_ok_status_without_ok_body_is_rejected(receiver: SlackReceiver) -> None:
    receiver.fail_next(1, 200, body="not quite")
    with pytest.raises(DeliveryError) as caught:
        send_slack(receiver.url, slack_payload(sample(), "d"), channel="team", timeout=5)
    assert caught.value.reason == "rejected"
    assert "'not quite'" in caught.value.detail and "secret-token" not in str(caught.value)


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_refused_connection() -> None:
    url = f"http://127.0.0.1:{closed_port()}/services/T/B/secret-token"
    with pytest.raises(DeliveryError) as caught:
        send_slack(url, {"text": "x"}, channel="team", timeout=5)
    assert caught.value.reason == "refused"
    assert "connection refused" in caught.value.detail and "127.0.0.1" in caught.value.detail
    assert "secret-token" not in str(caught.value)


def test_unresolvable_host() -> None:
    try:
        socket.getaddrinfo("nonexistent.invalid", 443)
    except socket.gaierror:
        pass
    else:  # pragma: no cover - a resolver that answers for .invalid
        pytest.skip("this resolver answers for .invalid names")
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        send_slack("https://nonexistent.invalid/services/T/B/secret-token", {"text": "x"}, channel="team", timeout=5)
    assert time.monotonic() - started < 10
    assert caught.value.reason == "dns"
    assert "https://nonexistent.invalid/\u2026" in caught.value.detail
    assert "secret-token" not in str(caught.value)


def test_tls_failure_against_a_plain_http_server(receiver: SlackReceiver) -> None:
    url = receiver.url.replace("http://", "https://")
    with pytest.raises(DeliveryError) as caught:
        post_json(url, b"{}", channel="hook", timeout=5)
    assert caught.value.reason == "tls"


def test_timeout_when_nothing_answers() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # the kernel completes the handshake; nobody ever reads or answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        with pytest.raises(DeliveryError) as caught:
            post_json(url, b"{}", channel="hook", timeout=0.5)
    finally:
        listener.close()
    assert caught.value.reason == "timeout"
    assert url in caught.value.detail


def test_bad_url_is_a_config_error() -> None:
    with pytest.raises(DeliveryError) as caught:
        post_json("ftp://example.org/hook", b"{}", channel="hook", timeout=1)
    assert caught.value.reason == "config"


# ---- pure helpers ---------------------------------------------------------------------------------------

def chained(outer: Exception, inner: BaseException) -> Exception:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(("exc", "reason"), [
    (socket.gaierror(-2, "Name or service not known"), "dns"),
    (ConnectionRefusedError(111, "Connection refused"), "refused"),
    (TimeoutError("timed out"), "timeout"),
    (ssl.SSLCertVerificationError(1, "certificate verify failed"), "tls"),
    (ssl.SSLError(1, "wrong version number"), "tls"),
    (OSError(101, "Network is unreachable"), "network"),
    (chained(RuntimeError("wrapped"), chained(OSError("middle"), socket.gaierror(-3, "again"))), "dns"),
])
def test_describe_network_error(exc: BaseException, reason: str) -> None:
    found, detail = describe_network_error(exc)
    assert found == reason
    assert detail


def test_retry_after_seconds() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Wed, 01 May 2024 12:01:00 GMT", now=now) == 60.0


def test_shown_url() -> None:
    assert shown_url("https://hooks.slack.com/services/T0/B0/XYZ", True) == "https://hooks.slack.com/\u2026"
    assert shown_url("https://hooks.slack.com/services/T0/B0/XYZ", False).endswith("/XYZ")
    assert shown_url("http://[::1]:8080/x", True) == "http://[::1]:8080/\u2026"
