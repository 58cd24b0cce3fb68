"""Email alerts: the message built from an alert payload, and delivery to real SMTP servers on loopback."""

from __future__ import annotations

import copy
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.smtp_servers import ScriptedSmtpServer, SmtpServer, closed_port, dropping_at, refusing_greeting
from watcher.alerts.build import change_alert, digest_alert, health_alert, sample_alert
from watcher.alerts.html import render_html
from watcher.alerts.mail import build_message, classify_smtp_error, send_message
from watcher.alerts.markdown import render_markdown
from watcher.errors import DeliveryError

CREATED = "2025-01-02T03:04:05+00:00"
BASE = "http://watcher.test"
SENDER = "Watcher <alerts@example.org>"
TO = ["reader@example.org"]
MSG_ID = re.compile(r"<[A-Za-z0-9._-]+@[A-Za-z0-9.-]+>")
ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "div", "h1", "h2", "h3", "p", "table", "tr", "td",
                "ul", "li", "span", "code", "strong", "em", "del", "ins", "a", "br", "hr"}
ALLOWED_ATTRS = {"style", "href", "charset", "name", "content", "role"}


# ---------------------------------------------------------------------------------------------- helpers


def sample() -> dict[str, Any]:
    return sample_alert(CREATED, BASE)


def record(**changes: Any) -> dict[str, Any]:
    """The sample change record with some fields replaced."""
    base = copy.deepcopy(sample()["change"])
    base.update(changes)
    return base


def build(alert: dict[str, Any], delivery_id: str = "41",
          recipients: list[str] | None = None) -> EmailMessage:
    return build_message(alert, sender=SENDER, recipients=recipients or TO, delivery_id=delivery_id)


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return part.get_content()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()


def roundtrip(message: EmailMessage) -> EmailMessage:
    """What a receiver parses from the bytes on the wire."""
    return message_from_bytes(message.as_bytes(), policy=policy.default)  # type: ignore[return-value]


def header_names(message: EmailMessage) -> list[str]:
    """The header names as they are on the wire (after unfolding), lower case."""
    head = message.as_bytes().split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0].lower() for line in head.split("\r\n") if line and not line[0].isspace()]


class TagCollector(HTMLParser):
    """Every tag and attribute an HTML document has, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def tags_of(document: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = TagCollector()
    parser.feed(document)
    parser.close()
    return parser.tags


def assert_inert(document: str) -> None:
    """Only the renderer's own tags and attributes, and only http(s) links."""
    for tag, attrs in tags_of(document):
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert name in ALLOWED_ATTRS, (tag, name, value)
            if name == "href":
                assert value and re.match(r"https?://", value), value


def hostile_alert() -> dict[str, Any]:
    segments = [["=", "We will pause within "], ["-", "7 <script>alert('x')</script>"],
                ["+", '30 <a href="javascript:alert(1)">click</a> & "q" \'s'], ["=", " days.\nNext line."]]
    hunk = {**sample()["change"]["hunks"][0], "segments": segments,
            "old_text": "".join(t for op, t in segments if op != "+"),
            "new_text": "".join(t for op, t in segments if op != "-"),
            "section": "<b>Thresholds</b>", "tags": ["IV<i>"]}
    evidence = [
        {"source": "blog <b>x</b>", "url": "javascript:alert(document.cookie)",
         "text": "<img src=x onerror=alert(1)>"},
        {"source": "changelog", "url": 'https://example.org/news?a=1&b="2"', "text": "Moved & reworded."},
    ]
    changed = record(title="Evil\r\nBcc: victim@example.org\r\n\r\n<script>x</script>", org="Org <b>&</b>",
                     hunks=[hunk], reasons=["<u>weakened</u> & more"],
                     explanation={"status": "partial", "reason_given": "<iframe src=x>",
                                  "evidence": evidence})
    alert = change_alert(changed, "change", CREATED, BASE)
    alert["key"] = "change:7\r\nX-Injected: yes"
    return alert


# ---------------------------------------------------------------------------------------------- message


def test_sample_message_is_text_and_html_alternatives() -> None:
    alert = sample()
    message = roundtrip(build(alert))
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert text_of(message).replace("\r\n", "\n") == render_markdown(alert)
    assert message["Subject"] == "[watcher] " + alert["headline"]
    assert message["From"] == SENDER
    assert message["To"] == "reader@example.org"
    assert parsedate_to_datetime(message["Date"]) == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert message["X-Watcher-Delivery"] == "41"
    assert message["X-Watcher-Alert"] == alert["key"]
    assert message["Auto-Submitted"] == "auto-generated"


def test_sample_html_shows_the_change() -> None:
    document = html_of(build(sample()))
    assert_inert(document)
    assert re.search(r"within <del style=\"[^\"]*\">7</del> days", document)
    assert re.search(r"within <ins style=\"[^\"]*\">30</ins> days", document)
    assert "background:#ffd7d5" in document and "background:#ccffd8" in document
    assert "Example Lab Safety Framework (sample alert)" in document
    assert "not explained publicly" in document
    assert "weakened: commitment IV" in document and ">IV</span>" in document
    assert "0" * 64 in document and "3" * 64 in document
    assert '<a href="http://watcher.test/changes/0"' in document
    assert "View this change in watcher" in document
    assert "Delivery <code" in document and ">41</code>" in document
    assert "test alert" in document


def test_ids_are_stable_well_formed_and_thread_per_document() -> None:
    first, again, other = build(sample(), "41"), build(sample(), "41"), build(sample(), "42")
    assert first["Message-ID"] == again["Message-ID"] == "<watcher.41@example.org>"
    assert other["Message-ID"] != first["Message-ID"]
    root = "<watcher.doc.example-lab-framework@example.org>"
    assert first["In-Reply-To"] == first["References"] == other["References"] == root
    odd = build({**sample(), "source": "odd id/with spaces<&>"}, "run 7\r\n@x")
    for name in ("Message-ID", "In-Reply-To", "References"):
        assert MSG_ID.fullmatch(str(odd[name])), odd[name]
    assert odd["Message-ID"] == "<watcher.run-7-x@example.org>"


def test_title_with_line_breaks_never_becomes_a_header() -> None:
    message = build(hostile_alert())
    names = header_names(message)
    assert "bcc" not in names and "x-injected" not in names
    received = roundtrip(message)
    assert received["Bcc"] is None and received["X-Injected"] is None
    subject = str(received["Subject"])
    assert "\r" not in subject and "\n" not in subject
    assert "Evil Bcc: victim@example.org <script>x</script>" in subject
    assert received["X-Watcher-Alert"] == "change:7 X-Injected: yes"


def test_document_text_arrives_inert_in_html() -> None:
    document = html_of(roundtrip(build(hostile_alert())))
    assert_inert(document)
    assert "<script" not in document and "<iframe" not in document and "<img" not in document
    assert re.search(r"Evidence from <code[^>]*>blog &lt;b&gt;x&lt;/b&gt;</code> "
                     r"<code[^>]*>javascript:alert\(document.cookie\)</code>", document)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in document
    assert ("30 &lt;a href=&quot;javascript:alert(1)&quot;&gt;click&lt;/a&gt; &amp; &quot;q&quot; &#x27;s"
            in document)
    assert "Org &lt;b&gt;&amp;&lt;/b&gt;" in document
    assert "&lt;img src=x onerror=alert(1)&gt;" in document and "&lt;iframe src=x&gt;" in document
    assert "days.<br>Next line." in document
    links = [dict(attrs).get("href") for tag, attrs in tags_of(document) if tag == "a"]
    assert links == ['https://example.org/news?a=1&b="2"', "http://watcher.test/changes/0"]


def test_watcher_link_needs_http() -> None:
    document = html_of(build({**sample(), "link": "javascript:alert(1)"}))
    assert_inert(document)
    assert "View this change in watcher" not in document


def test_pending_verdict_says_another_alert_follows() -> None:
    pending = record(explanation={"status": "pending", "reason_given": None, "evidence": []})
    document = html_of(build(change_alert(pending, "change", CREATED, BASE)))
    assert "The verdict is pending" in document
    assert "watcher will send another alert when the verdict settles" in document


def test_settled_verdict_says_so() -> None:
    settled = change_alert(record(), "settled", CREATED, BASE)
    message = build(settled)
    assert message["Subject"].startswith("[watcher] verdict settled: Example Lab")
    document = html_of(message)
    assert "the verdict is settled" in document and "The verdict is now:" in document
    assert "not explained publicly" in document
    assert message["References"] == build(change_alert(record(), "change", CREATED, BASE))["References"]


def failing_alert(source_id: str = "lab-policy", error: str = "HTTP 503 <b>busy</b>") -> dict[str, Any]:
    source = {"id": source_id, "org": "Other Lab", "title": "Policy"}
    health = {"url": "https://other.example/policy", "failures_in_a_row": 3,
              "failing_since": "2025-01-01T00:00:00+00:00", "last_error": error, "last_status": 503,
              "recovered_at": None}
    return health_alert(source, "source_failing", 9, health, CREATED, BASE)


def test_health_messages() -> None:
    failing = build(failing_alert())
    assert failing["References"] == "<watcher.doc.lab-policy@example.org>"
    document = html_of(failing)
    assert_inert(document)
    for expected in ("Failures in a row", ">3<", "2025-01-01T00:00:00+00:00", ">503<",
                     "HTTP 503 &lt;b&gt;busy", "https://other.example/policy", "View this source in watcher"):
        assert expected in document, expected
    source = {"id": "lab-policy", "org": "Other Lab", "title": "Policy"}
    health = {"url": "https://other.example/policy", "failures_in_a_row": 0,
              "failing_since": "2025-01-01T00:00:00+00:00", "last_error": None, "last_status": 200,
              "recovered_at": "2025-01-02T00:00:00+00:00"}
    recovered = build(health_alert(source, "source_recovered", 10, health, CREATED, BASE))
    assert recovered["References"] == failing["References"]
    assert "Working again since" in html_of(recovered) and "2025-01-02T00:00:00+00:00" in html_of(recovered)


def test_digest_groups_by_organisation_then_severity() -> None:
    low = change_alert(record(id=5, org="Zeta Lab", severity="low"), "change", CREATED, BASE)
    high = change_alert(record(id=6), "change", CREATED, BASE)
    digest = digest_alert("daily", "2025-01-03T00:00:00+00:00", [low, failing_alert(), high], CREATED)
    message = build(digest)
    assert message["References"] is None and message["In-Reply-To"] is None
    assert message["Subject"].startswith("[watcher] watcher digest: 3 alerts from 3 organisations")
    document = html_of(message)
    assert_inert(document)
    positions = [document.index(f">{org}</h2>") for org in ("Example Lab", "Other Lab", "Zeta Lab")]
    assert positions == sorted(positions)
    links = [dict(attrs)["href"] for tag, attrs in tags_of(document) if tag == "a"]
    assert links == [f"{BASE}/changes/6", f"{BASE}/sources/lab-policy", f"{BASE}/changes/5"]
    assert document.count('">7</del>') == 2 and document.count('">30</ins>') == 2
    assert "HTTP 503 &lt;b&gt;busy" in document
    assert "2 alerts" not in document and "3 alerts collected" in document


def test_long_headline_is_cut() -> None:
    alert = {**sample(), "headline": "word " * 200}
    subject = build(alert)["Subject"]
    assert subject.startswith("[watcher] word") and len(subject) <= 200


def test_render_html_without_delivery_id() -> None:
    assert "Delivery" not in render_html(sample())


def test_no_recipients_is_an_error() -> None:
    with pytest.raises(ValueError):
        build_message(sample(), sender=SENDER, recipients=[], delivery_id="1")


# ---------------------------------------------------------------------------------------------- sending


@pytest.fixture
def plain() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def starttls(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with SmtpServer(tls="starttls", login=("watcher", "s3cret")) as server:
        assert server.ca_file
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
        yield server


@pytest.fixture
def implicit(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with SmtpServer(tls="implicit", login=("watcher", "s3cret")) as server:
        assert server.ca_file
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
        yield server


def send(message: EmailMessage, server: SmtpServer | ScriptedSmtpServer | None = None, *,
         port: int | None = None, security: str = "none", username: str | None = None,
         password: str | None = None, timeout: float = 10.0) -> None:
    send_message(message, channel="mail", host="127.0.0.1", port=port or (server.port if server else 0),
                 security=security, username=username, password=password, timeout=timeout)


def failure(message: EmailMessage, server: SmtpServer | ScriptedSmtpServer | None = None,
            **options: Any) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        send(message, server, **options)
    error = caught.value
    assert error.channel == "mail"
    return error


def test_plain_delivery(plain: SmtpServer) -> None:
    alert = sample()
    send(build(alert, "41", ["a@example.org", "b@example.org"]), plain)
    assert plain.envelopes == [("alerts@example.org", ["a@example.org", "b@example.org"])]
    [received] = plain.messages
    assert received["Subject"] == "[watcher] " + alert["headline"]
    assert received["Message-ID"] == "<watcher.41@example.org>"
    assert received["X-Watcher-Delivery"] == "41"
    assert received["References"] == "<watcher.doc.example-lab-framework@example.org>"
    assert received.get_content_type() == "multipart/alternative"
    assert re.search(r"<del style=\"[^\"]*\">7</del>", received.get_body(("html",)).get_content())
    assert "{+30+}" in received.get_body(("plain",)).get_content()


def test_hostile_alert_delivered_without_extra_recipients(plain: SmtpServer) -> None:
    send(build(hostile_alert()), plain)
    assert plain.envelopes == [("alerts@example.org", ["reader@example.org"])]
    [received] = plain.messages
    assert received["Bcc"] is None and received["X-Injected"] is None
    assert_inert(received.get_body(("html",)).get_content())


def test_alerts_about_one_document_thread_together(plain: SmtpServer) -> None:
    send(build(change_alert(record(id=3), "change", CREATED, BASE), "100"), plain)
    send(build(change_alert(record(id=3), "settled", CREATED, BASE), "101"), plain)
    send(build(failing_alert("example-lab-framework"), "102"), plain)
    first, second, third = plain.messages
    assert len({m["Message-ID"] for m in plain.messages}) == 3
    assert first["References"] == second["References"] == third["References"] == first["In-Reply-To"]


def test_starttls_with_login(starttls: SmtpServer) -> None:
    send(build(sample()), starttls, security="starttls", username="watcher", password="s3cret")
    assert starttls.logins == ["watcher"]
    [received] = starttls.messages
    assert received["Message-ID"] == "<watcher.41@example.org>"


def test_starttls_untrusted_certificate(starttls: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    error = failure(build(sample()), starttls, security="starttls", username="watcher", password="s3cret")
    assert error.reason == "tls" and "certificate" in error.detail
    assert f"127.0.0.1:{starttls.port}" in error.detail
    assert starttls.messages == [] and starttls.logins == []


def test_starttls_required_but_not_offered(plain: SmtpServer) -> None:
    error = failure(build(sample()), plain, security="starttls")
    assert error.reason == "tls" and "does not offer STARTTLS" in error.detail
    assert plain.messages == []


def test_wrong_password(starttls: SmtpServer) -> None:
    error = failure(build(sample()), starttls, security="starttls", username="watcher", password="wrong")
    assert error.reason == "auth" and "535" in error.detail
    assert starttls.messages == []


def test_login_required_but_not_given(starttls: SmtpServer) -> None:
    error = failure(build(sample()), starttls, security="starttls")
    assert error.reason == "rejected" and "530" in error.detail


def test_auth_not_offered(plain: SmtpServer) -> None:
    error = failure(build(sample()), plain, username="watcher", password="s3cret")
    assert error.reason == "auth"
    assert plain.messages == []


def test_implicit_tls_with_login(implicit: SmtpServer) -> None:
    send(build(sample()), implicit, security="tls", username="watcher", password="s3cret")
    assert implicit.logins == ["watcher"] and len(implicit.messages) == 1
    error = failure(build(sample()), implicit, security="tls", username="watcher", password="nope")
    assert error.reason == "auth"


def test_implicit_tls_untrusted(implicit: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    error = failure(build(sample()), implicit, security="tls")
    assert error.reason == "tls" and implicit.messages == []


def test_implicit_tls_against_plain_server(plain: SmtpServer) -> None:
    error = failure(build(sample()), plain, security="tls")
    assert error.reason == "tls" and "use security starttls" in error.detail


def test_plain_client_against_implicit_tls_times_out(implicit: SmtpServer) -> None:
    error = failure(build(sample()), implicit, security="none", timeout=0.5)
    assert error.reason == "timeout" and "use security tls" in error.detail


def test_refused_port() -> None:
    port = closed_port()
    error = failure(build(sample()), port=port)
    assert error.reason == "refused" and f"127.0.0.1:{port}" in error.detail


def test_refused_greeting() -> None:
    with refusing_greeting("554 5.3.2 go away") as server:
        error = failure(build(sample()), server)
    assert error.reason == "rejected" and "554 5.3.2 go away" in error.detail


def test_recipient_refused() -> None:
    with SmtpServer(refuse=["reader@example.org"]) as server:
        error = failure(build(sample()), server)
        assert error.reason == "rejected" and "550" in error.detail and "reader@example.org" in error.detail
        assert server.messages == []


def test_some_recipients_refused() -> None:
    with SmtpServer(refuse=["gone@example.org"]) as server:
        error = failure(build(sample(), "41", ["gone@example.org", "reader@example.org"]), server)
        assert error.reason == "rejected" and "gone@example.org (550" in error.detail
        assert server.envelopes == [("alerts@example.org", ["reader@example.org"])]


@pytest.mark.parametrize("verb", ["MAIL", "DATA", "."])
def test_dropped_mid_session(verb: str) -> None:
    with dropping_at(verb) as server:
        error = failure(build(sample()), server)
    assert error.reason == "dropped"
    assert any(c.upper().startswith(verb if verb != "." else "DATA") for c in server.commands)


def test_message_accepted_then_dropped_before_quit_is_delivered() -> None:
    with ScriptedSmtpServer(answers={"QUIT": None}) as server:
        send(build(sample()), server)
    assert server.commands[-1].upper() == "QUIT"


def test_unknown_security() -> None:
    error = failure(build(sample()), port=25, security="ssl")
    assert error.reason == "config"


@pytest.mark.parametrize(("exc", "reason"), [
    (socket.gaierror(-2, "Name or service not known"), "dns"),
    (TimeoutError("timed out"), "timeout"),
    (ConnectionResetError(104, "Connection reset by peer"), "dropped"),
    (OSError(101, "Network is unreachable"), "network"),
])
def test_classify_network_errors(exc: BaseException, reason: str) -> None:
    assert classify_smtp_error(exc, "connect")[0] == reason


def test_non_ascii_password_is_an_auth_error(starttls: SmtpServer) -> None:
    error = failure(build(sample()), starttls, security="starttls", username="watcher", password="pässwörd")
    assert error.reason == "auth" and "encode" in error.detail
