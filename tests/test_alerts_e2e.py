"""The README's alert setup end to end: a document changes on a local server, `watcher check` runs, and a
real SMTP server (STARTTLS with login) and a stand-in for Slack's webhook receive the right messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from tests.conftest import FAST_FETCH, Project, source_entry
from tests.documents import policy_html
from tests.server import DocServer
from tests.slack_receiver import SlackReceiver, mrkdwn_texts, unsafe_mrkdwn, validate
from tests.smtp_servers import SmtpServer
from tests.test_outcome3 import V1, _edit

BASE_URL = "https://watcher.example.org"
HOSTILE = ("<!channel> urgent: see <https://evil.example|the real policy> & <script>alert(1)</script> "
           "*bold* `code` \r\nBcc: victim@example.org")
ORG_AND_TITLE = "Example Lab, lab-policy title"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with SmtpServer(tls="starttls", login=("watcher@example.org", "mail-secret")) as server:
        assert server.ca_file
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)  # trust the test CA, as the README says
        yield server


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackReceiver]:
    receiver = SlackReceiver()
    monkeypatch.setenv("WATCHER_SLACK_WEBHOOK", receiver.url)
    monkeypatch.setenv("WATCHER_SMTP_PASSWORD", "mail-secret")
    yield receiver
    receiver.close()


def channels(smtp: SmtpServer) -> str:
    return f"""
[web]
base_url = "{BASE_URL}"

[[channel]]
name = "team-mail"
type = "email"
host = "localhost"
port = {smtp.port}
security = "starttls"
username = "watcher@example.org"
password_env = "WATCHER_SMTP_PASSWORD"
from = "watcher@example.org"
to = ["policy-team@example.org"]

[[channel]]
name = "slack"
type = "slack"
webhook_url_env = "WATCHER_SLACK_WEBHOOK"
"""


def run_change(server: DocServer, project: Project, smtp: SmtpServer, new_blocks: list[str]) -> str:
    server.set("/policy", policy_html(V1, noise="1"))
    project.write_config(source_entry("lab-policy", server.url("/policy"), allow_private=True),
                         extra=FAST_FETCH + channels(smtp))
    assert project.run("check", "--at", "2026-03-01T12:00:00Z").exit_code == 0
    server.set("/policy", policy_html(new_blocks, noise="2"))
    result = project.run("check", "--at", "2026-04-01T12:00:00Z")
    assert result.exit_code == 0, result.output
    return result.output


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_a_real_change_arrives_by_email_and_slack_with_evidence(
        server: DocServer, project: Project, smtp: SmtpServer, slack: SlackReceiver) -> None:
    output = run_change(server, project, smtp, _edit(V1, "we will pause deployment", "we may pause deployment"))

    assert "1 new alert; alerts: 2 delivered" in output
    [change] = [c for c in project.changes() if c["kind"] == "modified"]
    [message] = smtp.messages
    assert smtp.logins == ["watcher@example.org"]
    assert message["Subject"].startswith(f"[watcher] {ORG_AND_TITLE}: modified (")
    assert message["To"] == "policy-team@example.org"
    text, html = parts(message)
    assert "we [-will-] pause deployment" in text and "we {+may+} pause deployment" in text
    assert "<del" in html and ">will<" in html and "<ins" in html and ">may<" in html
    assert f"{BASE_URL}/changes/{change['id']}" in html and f"{BASE_URL}/changes/{change['id']}" in text
    for digest in (change["old"]["text_sha256"], change["new"]["raw_sha256"]):
        assert digest in text and digest in html
    assert "pending" in text.lower() and change["severity"] in text

    [payload] = slack.bodies
    validate(payload)
    body = "\n".join(mrkdwn_texts(payload))
    assert "Example Lab" in body and "pending" in body.lower()
    assert "we will pause deployment" in body and "we may pause deployment" in body
    assert f"<{BASE_URL}/changes/{change['id']}|" in body
    assert change["new"]["text_sha256"] in body
    listing = project.run("alerts").output
    assert "team-mail: delivered" in listing and "slack: delivered" in listing


def test_hostile_document_text_arrives_inert(server: DocServer, project: Project, smtp: SmtpServer,
                                             slack: SlackReceiver) -> None:
    hostile_block = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    new = _edit(V1, "we will pause deployment", "we may pause deployment") + [hostile_block]

    run_change(server, project, smtp, new)

    [payload] = slack.bodies
    validate(payload)
    assert unsafe_mrkdwn(payload, BASE_URL) == []
    assert "&lt;!channel&gt;" in "\n".join(mrkdwn_texts(payload))
    [message] = smtp.messages
    assert message["Bcc"] is None and len(smtp.envelopes[0][1]) == 1
    _, html = parts(message)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="https://evil.example' not in html


def test_a_title_with_line_breaks_cannot_add_mail_headers(server: DocServer, project: Project,
                                                          smtp: SmtpServer, slack: SlackReceiver) -> None:
    server.set("/policy", policy_html(V1, noise="1"))
    entry = source_entry("lab-policy", server.url("/policy"), allow_private=True)
    entry = entry.replace('title = "lab-policy title"', f"title = {json.dumps('Policy' + chr(13) + chr(10) + 'Bcc: victim@example.org')}")
    project.write_config(entry, extra=FAST_FETCH + channels(smtp))
    project.run("check", "--at", "2026-03-01T12:00:00Z")
    server.set("/policy", policy_html(_edit(V1, "we will pause deployment", "we may pause deployment"), noise="2"))
    project.run("check", "--at", "2026-04-01T12:00:00Z")

    [message] = smtp.messages
    assert message["Bcc"] is None
    assert smtp.envelopes[0][1] == ["policy-team@example.org"]
    assert "Bcc: victim@example.org" in message["Subject"]  # kept as text of the subject, on one line


def test_alerts_about_one_document_thread_together(server: DocServer, project: Project, smtp: SmtpServer,
                                                   slack: SlackReceiver) -> None:
    weaker = _edit(V1, "we will pause deployment", "we may pause deployment")
    run_change(server, project, smtp, weaker)
    server.set("/policy", policy_html(_edit(weaker, "every six months", "every two years"), noise="3"))
    project.run("check", "--at", "2026-04-02T12:00:00Z")

    first, second = smtp.messages
    assert first["Message-ID"] != second["Message-ID"]
    assert first["References"] == second["References"] and "lab-policy" in first["References"]
    assert second["In-Reply-To"] == first["In-Reply-To"]


def test_a_dead_smtp_server_does_not_stop_slack_and_gets_the_mail_later(
        server: DocServer, project: Project, slack: SlackReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    smtp = SmtpServer(tls="starttls", login=("watcher@example.org", "mail-secret"))
    assert smtp.ca_file
    monkeypatch.setenv("SSL_CERT_FILE", smtp.ca_file)
    port = smtp.port
    smtp.close()  # the mail server is down during the check
    try:
        output = run_change(server, project, smtp, _edit(V1, "we will pause deployment", "we may pause deployment"))
        assert "alerts: 1 delivered, 1 failed (will retry)" in output
        assert "team-mail" in output and "refused" in output
        assert len(slack.bodies) == 1
        with SmtpServer(tls="starttls", login=("watcher@example.org", "mail-secret"), port=port) as back:
            monkeypatch.setenv("SSL_CERT_FILE", back.ca_file or "")
            result = project.run("alerts", "retry")
            assert result.exit_code == 0, result.output
            assert len(back.messages) == 1
        assert len(slack.bodies) == 1  # Slack already had it: not sent again
    finally:
        smtp.close()
