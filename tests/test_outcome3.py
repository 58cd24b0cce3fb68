"""Outcome 3 end to end: `watcher check` classifies, explains and rates changes of documents on loopback."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import Project, source_entry
from tests.documents import policy_html
from tests.server import DocServer

FAST = '[fetch]\ndelay_per_host = "0s"\nretries = 0\n[classify]\ngrace_window = "30d"\n'

V1 = [
    "# Example Lab Frontier Safety Policy",
    "Version 1.0",
    "Effective 1 March 2026",
    "# 1. Capability thresholds",
    "We will evaluate every frontier model for biological and cyber capabilities before deployment.",
    "A model crosses the cyber threshold when it solves 50% of our expert intrusion tasks.",
    "# 2. Response",
    "If a model crosses a threshold, we will pause deployment until the required safeguards are in place.",
    "We will share evaluation results with the national AI safety institute before release.",
    "# 3. Governance",
    "The safety committee reviews this policy every six months.",
    "# Changelog",
    "Version 1.0 (1 March 2026): first publication.",
]


def _edit(blocks: list[str], old: str, new: str) -> list[str]:
    edited = [b.replace(old, new) for b in blocks]
    assert edited != blocks, f"{old!r} not found"
    return edited


def _latest(project: Project) -> dict:
    return project.changes()[0]


def _setup(server: DocServer, project: Project, *, with_updates: bool = False) -> None:
    server.set("/policy", policy_html(V1, noise="1"))
    sources = source_entry("lab-policy", server.url("/policy"),
                           **({"explained_by": ["lab-updates"]} if with_updates else {}))
    if with_updates:
        server.set("/updates", policy_html(["# Policy updates", "1 March 2026: we published our policy."]))
        sources += source_entry("lab-updates", server.url("/updates"), kind="changelog")
    project.write_config(sources, extra=FAST)
    assert project.run("check", "--at", "2026-03-01T12:00:00Z").exit_code == 0


def test_silent_weakening_is_high_after_the_grace_window(server: DocServer, project: Project) -> None:
    _setup(server, project)
    server.set("/policy", policy_html(_edit(V1, "we will pause deployment", "we may pause deployment"), noise="2"))

    assert project.run("check", "--at", "2026-04-01T12:00:00Z").exit_code == 0
    pending = _latest(project)
    assert pending["material"] is True
    assert pending["explanation"]["status"] == "pending"
    [hunk] = [h for h in pending["hunks"] if h["material"]]
    assert hunk["direction"] == "weaken"
    assert "IV" in hunk["tags"]
    assert pending["same_label_reupload"] is True

    assert project.run("reevaluate", "--at", "2026-05-15T00:00:00Z").exit_code == 0
    settled = _latest(project)
    assert settled["explanation"]["status"] == "silent"
    assert settled["severity"] == "high"
    assert any("silent" in reason for reason in settled["reasons"])


def test_changelog_entry_naming_the_change_explains_it(server: DocServer, project: Project) -> None:
    _setup(server, project)
    v2 = ["Version 1.1" if b == "Version 1.0" else b for b in V1]
    v2 = _edit(v2, "every six months", "every year")
    v2.append("Version 1.1 (1 April 2026): the safety committee now reviews the policy every year instead of "
              "every six months, because reviews take longer than planned.")
    server.set("/policy", policy_html(v2, noise="3"))

    assert project.run("check", "--at", "2026-04-01T12:00:00Z").exit_code == 0

    change = _latest(project)
    assert change["explanation"]["status"] == "explained"
    assert change["explanation"]["reason_given"] is True
    assert any("every year" in e["text"] for e in change["explanation"]["evidence"])
    assert change["same_label_reupload"] is False
    review = [h for h in change["hunks"] if "every year" in h["new_text"] and h["material"]]
    assert review and review[0]["explanation"] == "explained"


def test_account_on_updates_page_within_grace_explains_on_reevaluation(server: DocServer,
                                                                         project: Project) -> None:
    _setup(server, project, with_updates=True)
    server.set("/policy", policy_html(_edit(V1, "with the national AI safety institute", "internally"),
                                      noise="4"))
    assert project.run("check", "lab-policy", "--at", "2026-04-01T12:00:00Z").exit_code == 0
    assert _latest(project)["explanation"]["status"] == "pending"

    server.set("/updates", policy_html([
        "# Policy updates", "1 March 2026: we published our policy.",
        "3 April 2026: evaluation results are now shared internally rather than with the national AI safety "
        "institute, to protect sensitive information."]))
    assert project.run("check", "--at", "2026-04-03T12:00:00Z").exit_code == 0

    change = next(c for c in project.changes() if c["source"] == "lab-policy" and c["kind"] == "modified")
    assert change["explanation"]["status"] == "explained"
    assert change["explanation"]["evidence"][0]["source"] == "lab-updates"
    assert change["explanation"]["reason_given"] is True
    account = next(c for c in project.changes() if c["source"] == "lab-updates" and c["kind"] == "modified")
    assert account["severity"] == "low" and account["explanation"] is None  # the account is evidence


def test_editorial_only_change_is_info_and_not_material(server: DocServer, project: Project) -> None:
    _setup(server, project)
    server.set("/policy", policy_html(_edit(V1, "safety committee reviews this policy",
                                            "safety committee reviews this policy,"), noise="5"))

    assert project.run("check", "--at", "2026-04-01T12:00:00Z").exit_code == 0

    change = _latest(project)
    assert change["material"] is False
    assert change["severity"] == "info"
    assert change["explanation"] is None


def test_new_link_on_index_page_is_discovered_and_tracked(server: DocServer, project: Project) -> None:
    page = '<html><body><main><h1>System cards</h1><ul>{}</ul></main></body></html>'
    item = '<li><a href="{0}">{1}</a></li>'
    server.set("/cards", page.format(item.format("/cards/alpha.pdf", "Alpha system card")))
    server.set("/cards/beta.pdf", b"%PDF-1.4 placeholder", content_type="application/pdf")
    project.write_config(source_entry("lab-cards", server.url("/cards"), kind="index"), extra=FAST)
    assert project.run("check").exit_code == 0
    server.set("/cards", page.format(item.format("/cards/beta.pdf", "Beta system card") +
                                     item.format("/cards/alpha.pdf", "Alpha system card")))

    assert project.run("check").exit_code == 0

    discovered = [c for c in project.changes() if c["kind"] == "discovered"]
    assert len(discovered) == 1
    assert discovered[0]["url"] == server.url("/cards/beta.pdf")
    assert discovered[0]["details"]["parent"] == "lab-cards"
    project.run("check")
    assert server.hits("/cards/beta.pdf") >= 1


def test_bot_challenge_is_quarantined_and_never_a_version(server: DocServer, project: Project) -> None:
    _setup(server, project)
    server.set("/policy", "<html><head><title>Just a moment...</title></head><body><div id='cf-browser-"
                          "verification'>Checking your browser before accessing the site.</div>"
                          "<script src='/cdn-cgi/challenge-platform/x.js'></script></body></html>")

    result = project.run("check", "--at", "2026-04-01T12:00:00Z")

    assert "quarantined" in result.output
    assert [c["kind"] for c in project.changes()] == ["first_seen"]
    with sqlite3.connect(project.root / "watcher.db") as db:
        assert db.execute("SELECT outcome FROM fetches ORDER BY id DESC LIMIT 1").fetchone() == ("quarantined",)
    project.run("check", "--at", "2026-04-02T12:00:00Z")
    project.run("check", "--at", "2026-04-03T12:00:00Z")
    [state] = json.loads(project.run("sources", "--json").stdout)
    assert state["state"] == "unhealthy" and "Cloudflare" in state["last_error"]


def test_large_shrink_is_refetched_before_it_becomes_a_version(server: DocServer, project: Project) -> None:
    _setup(server, project)
    short = policy_html(V1[:5], noise="6")
    server.set("/policy", short, etag=False)

    assert project.run("check", "--at", "2026-04-01T12:00:00Z").exit_code == 0

    assert server.hits("/policy") == 3  # first check, then the shrunk page and its confirmation
    assert _latest(project)["kind"] == "modified"


def test_same_file_read_differently_is_renormalized_not_a_publisher_change(server: DocServer,
                                                                              project: Project) -> None:
    server.set("/policy", policy_html(V1, noise="1"), etag=False)
    project.write_config(source_entry("lab-policy", server.url("/policy")), extra=FAST)
    assert project.run("check", "--at", "2026-03-01T12:00:00Z").exit_code == 0
    # The user narrows what is read; the bytes on the server are the same.
    project.write_config(source_entry("lab-policy", server.url("/policy"), ignore=["Effective .*"]), extra=FAST)

    assert project.run("check", "--at", "2026-03-02T12:00:00Z").exit_code == 0

    change = _latest(project)
    assert change["kind"] == "renormalized"
    assert change["material"] is False and change["severity"] == "info"
    assert change["hunks"] and "Effective 1 March 2026" in change["hunks"][0]["old_text"]


def test_next_version_of_a_followed_document_is_not_discovered(server: DocServer, project: Project) -> None:
    page = '<html><body><main><h1>Our policy</h1><ul>{}</ul><p>Updated regularly.</p></main></body></html>'
    item = '<li><a href="{0}">{1}</a></li>'
    server.set("/policy/v1.pdf", b"%PDF-1.4 placeholder", content_type="application/pdf")
    server.set("/hub", page.format(item.format("/policy/v1.pdf", "Policy v1") +
                                   item.format("/reports/r1.pdf", "Report one")))
    project.write_config(source_entry("lab-hub", server.url("/hub"), kind="changelog") + f"""
[[source]]
id = "lab-policy"
org = "Example Lab"
title = "Policy"
kind = "framework"
index = "{server.url('/hub')}"
follow = 'policy/v[0-9]+[.]pdf$'
enabled = false
""", extra=FAST)
    assert project.run("check", "lab-hub").exit_code == 0
    server.set("/hub", page.format(item.format("/policy/v2.pdf", "Policy v2") +
                                   item.format("/policy/v1.pdf", "Policy v1") +
                                   item.format("/reports/r2.pdf", "Report two") +
                                   item.format("/reports/r1.pdf", "Report one")))

    assert project.run("check", "lab-hub").exit_code == 0

    discovered = [c["url"] for c in project.changes() if c["kind"] == "discovered"]
    assert discovered == [server.url("/reports/r2.pdf")]
    hub_change = next(c for c in project.changes() if c["source"] == "lab-hub" and c["kind"] == "modified")
    added = {link["url"] for link in hub_change["details"]["links"]["added"]}
    assert added == {server.url("/policy/v2.pdf"), server.url("/reports/r2.pdf")}


def test_taxonomy_additions_from_sources_toml_tag_hunks(server: DocServer, project: Project) -> None:
    extra = FAST + "[classify.taxonomy]\nBIO = ['\\bpathogens?\\b']\n"
    server.set("/policy", policy_html(V1, noise="1"))
    project.write_config(source_entry("lab-policy", server.url("/policy")), extra=extra)
    assert project.run("check", "--at", "2026-03-01T12:00:00Z").exit_code == 0
    server.set("/policy", policy_html(_edit(V1, "for biological and cyber capabilities",
                                            "for biological, pathogen and cyber capabilities"), noise="2"))

    assert project.run("check", "--at", "2026-03-02T12:00:00Z").exit_code == 0

    [hunk] = [h for h in _latest(project)["hunks"] if h["material"]]
    assert "BIO" in hunk["tags"]
