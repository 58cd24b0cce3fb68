"""The check cycle end to end: `watcher check` against a real HTTP server on loopback."""

from __future__ import annotations

import gzip
import json
import sqlite3

import pytest

from tests.conftest import Project, source_entry
from tests.documents import POLICY, filler_paragraphs, policy_html
from tests.pdfgen import make_pdf
from tests.server import DocServer


def _rows(project: Project, sql: str) -> list[tuple]:
    with sqlite3.connect(project.root / "watcher.db") as db:
        return db.execute(sql).fetchall()


def _check_ok(project: Project, *args: str) -> str:
    result = project.run("check", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_first_check_stores_a_version_without_site_noise(server: DocServer, project: Project) -> None:
    server.set("/policy", policy_html(POLICY, noise="n1"))
    project.write_config(source_entry("lab-policy", server.url("/policy")))

    summary = _check_ok(project)

    assert "checked 1, unchanged 0, new versions 1" in summary
    [change] = project.changes()
    assert change["kind"] == "first_seen" and change["source"] == "lab-policy"
    assert change["old"] is None and change["new"]["version"] == 1
    text = project.run("show", "lab-policy").stdout
    assert "We will evaluate each model against the thresholds" in text
    assert "- Cyber: the model completes 50%" in text
    for noise in ("cookies", "Careers", "Copyright", "Subscribe", "Date.now", "n1"):
        assert noise not in text


def test_unchanged_recheck_by_304_and_by_same_text_adds_only_fetch_rows(server: DocServer,
                                                                        project: Project) -> None:
    server.set("/etag", policy_html(POLICY, noise="a"))
    server.set("/plain", policy_html(POLICY, noise="a"), etag=False)
    project.write_config(source_entry("with-etag", server.url("/etag")) +
                         source_entry("without-etag", server.url("/plain")))
    _check_ok(project)
    server.set("/plain", policy_html(POLICY, noise="b"), etag=False)  # new noise, same text

    summary = _check_ok(project)

    assert "unchanged 2, new versions 0" in summary
    assert len(project.changes()) == 2
    assert _rows(project, "SELECT COUNT(*) FROM versions") == [(2,)]
    outcomes = _rows(project, "SELECT source_id, outcome, status FROM fetches ORDER BY id")
    assert outcomes[2:] == [("with-etag", "not_modified", 304), ("without-etag", "unchanged", 200)] or \
        sorted(outcomes[2:]) == [("with-etag", "not_modified", 304), ("without-etag", "unchanged", 200)]
    conditional = [h for p, h in server.requests if p == "/etag"][-1]
    assert conditional.get("If-None-Match")


def test_one_word_changed_in_a_large_document_shows_that_word(server: DocServer, project: Project) -> None:
    paragraphs = filler_paragraphs(1500)  # about 150 pages of text
    server.set("/big", policy_html(paragraphs))
    project.write_config(source_entry("big", server.url("/big")))
    _check_ok(project)
    changed = list(paragraphs)
    changed[900] = changed[900].replace("Clause 901.", "Clause 901. Notwithstanding", 1)
    server.set("/big", policy_html(changed))

    _check_ok(project)

    latest = project.changes()[0]
    assert latest["kind"] == "modified"
    assert latest["old"]["version"] == 1 and latest["new"]["version"] == 2
    [hunk] = latest["hunks"]
    assert "Notwithstanding" in hunk["new_text"] and "Notwithstanding" not in hunk["old_text"]
    assert len(hunk["new_text"]) < 400
    assert latest["stats"]["chars_added"] == len("Notwithstanding ") or latest["stats"]["chars_added"] < 20
    diff_output = project.run("diff", "big", "--no-color").stdout
    assert "Notwithstanding" in diff_output


def test_pdf_reexported_with_new_metadata_keeps_version_and_bytes(server: DocServer, project: Project) -> None:
    paragraphs = POLICY + filler_paragraphs(20)
    first = make_pdf(paragraphs, metadata={"producer": "Exporter A"})
    second = make_pdf(paragraphs, metadata={"producer": "Exporter B", "subject": "re-export"})
    assert first != second
    server.set("/policy.pdf", first, content_type="application/pdf")
    project.write_config(source_entry("pdf-policy", server.url("/policy.pdf")))
    _check_ok(project)
    server.set("/policy.pdf", second, content_type="application/pdf")

    summary = _check_ok(project)

    assert "unchanged 1, new versions 0" in summary
    assert len(project.changes()) == 1
    raws = _rows(project, "SELECT DISTINCT raw_sha256 FROM fetches WHERE source_id = 'pdf-policy'")
    assert len(raws) == 2  # both files kept as evidence, one version
    assert _rows(project, "SELECT COUNT(*) FROM versions") == [(1,)]
    original = project.run("show", "pdf-policy", "--raw").stdout_bytes
    assert original == first


def test_pdf_whose_text_changed_is_a_new_version(server: DocServer, project: Project) -> None:
    paragraphs = POLICY + filler_paragraphs(10)
    server.set("/policy.pdf", make_pdf(paragraphs), content_type="application/pdf")
    project.write_config(source_entry("pdf-policy", server.url("/policy.pdf")))
    _check_ok(project)
    edited = [p.replace("we will pause deployment", "we may pause deployment") for p in paragraphs]
    server.set("/policy.pdf", make_pdf(edited), content_type="application/pdf")

    _check_ok(project)

    change = project.changes()[0]
    assert change["kind"] == "modified"
    assert any("will" in h["old_text"] and "may" in h["new_text"] for h in change["hunks"])


def test_removal_and_restoration(server: DocServer, project: Project) -> None:
    server.set("/policy", policy_html(POLICY))
    project.write_config(source_entry("lab-policy", server.url("/policy")))
    _check_ok(project)
    server.set("/policy", "gone", status=410, content_type="text/plain")
    _check_ok(project)
    _check_ok(project)  # still gone: no second `removed`
    server.set("/policy", policy_html(POLICY))

    _check_ok(project)

    kinds = [c["kind"] for c in project.changes()]
    assert kinds == ["restored", "removed", "first_seen"]
    removed = project.changes()[1]
    assert removed["old"]["version"] == 1 and removed["new"] is None
    assert _rows(project, "SELECT COUNT(*) FROM versions") == [(1,)]


def test_permanent_redirect_is_a_move(server: DocServer, project: Project) -> None:
    server.set("/old-home", policy_html(POLICY))
    project.write_config(source_entry("lab-policy", server.url("/old-home"), allow_private=True))
    _check_ok(project)
    server.set("/new-home", policy_html(POLICY))
    server.set("/old-home", status=301, location=server.url("/new-home"))

    _check_ok(project)
    _check_ok(project)  # the redirect persists: no second move

    kinds = [c["kind"] for c in project.changes()]
    assert kinds == ["moved", "first_seen"]
    moved = project.changes()[0]
    assert moved["url"] == server.url("/new-home")
    assert moved["old_url"] == server.url("/old-home")


def test_redirect_to_loopback_is_refused_unless_allowed(server: DocServer, project: Project) -> None:
    server.set("/target", policy_html(POLICY))
    server.set("/hop", status=302, location=server.url("/target"))
    project.write_config(source_entry("lab-policy", server.url("/hop")))

    result = project.run("check")

    assert result.exit_code == 1  # the only source failed
    assert "private or loopback" in result.output


def test_document_followed_through_index_page(server: DocServer, project: Project) -> None:
    v1 = POLICY
    v2 = [p.replace("every quarter", "twice a year") for p in POLICY]
    server.set("/files/abc123.pdf", make_pdf(v1), content_type="application/pdf")
    server.set("/policy-index", '<html><body><main><h1>Our policy</h1>'
               '<a href="/files/abc123.pdf">Safety Policy v1.0</a> <a href="/files/card.pdf">Model card</a>'
               '</main></body></html>')
    project.write_config("""
[[source]]
id = "followed"
org = "Example Lab"
title = "Safety Policy"
kind = "framework"
index = "%s"
follow = 'files/[0-9a-f]+\\.pdf$'
""" % server.url("/policy-index"))
    _check_ok(project)
    server.set("/files/def456.pdf", make_pdf(v2), content_type="application/pdf")
    server.set("/policy-index", '<html><body><main><h1>Our policy</h1>'
               '<a href="/files/abc123.pdf">Safety Policy v1.0</a> <a href="/files/def456.pdf">Safety Policy '
               'v1.1</a></main></body></html>')

    _check_ok(project)

    change = project.changes()[0]
    assert change["kind"] == "modified"
    assert change["url"] == server.url("/files/def456.pdf")
    assert change["old"]["url"] == server.url("/files/abc123.pdf")
    assert any("twice a year" in h["new_text"] for h in change["hunks"])


def test_transient_failure_between_identical_versions_is_not_a_change(server: DocServer,
                                                                        project: Project) -> None:
    server.set("/policy", policy_html(POLICY), etag=False)
    project.write_config(source_entry("lab-policy", server.url("/policy")))
    _check_ok(project)
    server.set("/policy", policy_html(POLICY), etag=False, fail_first=[503, 503, 503, 503])
    failed = project.run("check")
    assert failed.exit_code == 1 and "HTTP 503" in failed.output

    _check_ok(project)

    assert [c["kind"] for c in project.changes()] == ["first_seen"]
    outcomes = [r[0] for r in _rows(project, "SELECT outcome FROM fetches ORDER BY id")]
    assert outcomes == ["new_version", "error", "unchanged"]


def test_retries_429_with_retry_after_and_5xx(server: DocServer, project: Project) -> None:
    server.set("/busy", policy_html(POLICY), fail_first=[429], retry_after="0")
    server.set("/flaky", policy_html(POLICY), fail_first=[502])
    project.write_config(source_entry("busy", server.url("/busy")) + source_entry("flaky", server.url("/flaky")))

    summary = _check_ok(project)

    assert "new versions 2" in summary
    attempts = _rows(project, "SELECT attempts FROM fetches ORDER BY source_id")
    assert all(a[0].count("status") == 2 for a in attempts)


def test_slow_response_times_out_and_wrong_content_type_is_sniffed(server: DocServer,
                                                                    project: Project) -> None:
    server.set("/slow", policy_html(POLICY), delay=3.0)
    server.set("/mislabelled.pdf", make_pdf(POLICY), content_type="text/html")
    project.write_config(source_entry("slow", server.url("/slow")) +
                         source_entry("mislabelled", server.url("/mislabelled.pdf")),
                         extra='[fetch]\ndelay_per_host = "0s"\nretries = 0\nread_timeout = "0.5s"\n')

    result = project.run("check")

    assert result.exit_code == 0
    assert "read timeout" in result.output
    assert _rows(project, "SELECT source_id, format FROM versions") == [("mislabelled", "pdf")]


def test_a_server_that_hangs_twice_is_not_retried_further(server: DocServer, project: Project) -> None:
    server.set("/hangs", policy_html(POLICY), delay=2.0)
    project.write_config(source_entry("hangs", server.url("/hangs")),
                         extra='[fetch]\ndelay_per_host = "0s"\nretries = 3\nbackoff = "0.01s"\n'
                               'read_timeout = "0.3s"\n')

    result = project.run("check")

    assert "read timeout" in result.output
    assert server.hits("/hangs") == 2  # retries = 3 allows four attempts; two timeouts end it


def test_requests_in_flight_across_hosts_are_capped(project: Project) -> None:
    servers = [DocServer() for _ in range(3)]
    try:
        entries = ""
        for i, doc_server in enumerate(servers):
            doc_server.set("/p", policy_html(POLICY), delay=0.4)
            entries += source_entry(f"host-{i}", doc_server.url("/p"))
        project.write_config(entries, extra='[fetch]\ndelay_per_host = "0s"\nmax_in_flight = 1\n')

        assert project.run("check").exit_code == 0

        starts = sorted(t for doc_server in servers for t, path in doc_server.started if path == "/p")
        assert len(starts) == 3 and all(b - a >= 0.35 for a, b in zip(starts, starts[1:], strict=False))
    finally:
        for doc_server in servers:
            doc_server.close()


def test_size_cap_and_undecodable_body_never_become_versions(server: DocServer, project: Project) -> None:
    server.set("/huge", b"<html><body><p>" + b"x" * 200_000 + b"</p></body></html>")
    server.set("/garbage", bytes(range(256)) * 100, content_type="text/plain")
    project.write_config(source_entry("huge", server.url("/huge")) +
                         source_entry("garbage", server.url("/garbage")),
                         extra='[fetch]\ndelay_per_host = "0s"\nretries = 0\nmax_bytes = 100000\n')

    result = project.run("check")

    assert result.exit_code == 1
    assert "exceeds max_bytes" in result.output
    assert "undecodable" in result.output or "unsupported" in result.output
    assert _rows(project, "SELECT COUNT(*) FROM versions") == [(0,)]


def test_robots_txt_is_honoured_and_can_be_overridden(server: DocServer, project: Project) -> None:
    server.set("/robots.txt", "User-agent: *\nDisallow: /private\n", content_type="text/plain")
    server.set("/private/policy", policy_html(POLICY))
    project.write_config(source_entry("blocked", server.url("/private/policy")))
    result = project.run("check")
    assert result.exit_code == 1 and "robots.txt" in result.output

    project.write_config(source_entry("blocked", server.url("/private/policy"), robots=False))
    _check_ok(project)


def test_snapshots_are_gzip_addressed_by_content_hash(server: DocServer, project: Project) -> None:
    server.set("/policy", policy_html(POLICY))
    project.write_config(source_entry("lab-policy", server.url("/policy")))
    _check_ok(project)

    [(text_sha, raw_sha)] = _rows(project, "SELECT text_sha256, raw_sha256 FROM versions")
    import hashlib

    for digest in (text_sha, raw_sha):
        path = project.root / "snapshots" / digest[:2] / f"{digest}.gz"
        assert hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest() == digest
    assert not list((project.root / "snapshots").rglob(".tmp-*"))


def test_dry_run_prints_text_and_stores_nothing(server: DocServer, project: Project) -> None:
    server.set("/policy", policy_html(POLICY))
    project.write_config(source_entry("lab-policy", server.url("/policy")))

    result = project.run("check", "lab-policy", "--dry-run")

    assert result.exit_code == 0
    assert "# Example Lab Frontier Safety Policy" in result.stdout
    assert not (project.root / "watcher.db").exists()


def test_history_lists_versions_with_hashes(server: DocServer, project: Project) -> None:
    server.set("/policy", policy_html(POLICY))
    project.write_config(source_entry("lab-policy", server.url("/policy")))
    _check_ok(project)
    server.set("/policy", policy_html(POLICY[:-1]))
    _check_ok(project)

    out = project.run("history", "lab-policy").stdout

    assert "v1 " in out and "v2 " in out
    [(sha,)] = _rows(project, "SELECT text_sha256 FROM versions WHERE number = 2")
    assert sha in out
    assert project.run("show", "lab-policy", "1").stdout.strip().endswith("every quarter.")


@pytest.mark.parametrize("at", ["2026-03-01T12:00:00Z"])
def test_check_at_stamps_captures(server: DocServer, project: Project, at: str) -> None:
    server.set("/policy", policy_html(POLICY))
    project.write_config(source_entry("lab-policy", server.url("/policy")))
    _check_ok(project, "--at", at)

    assert project.changes()[0]["detected_at"] == at
    assert project.changes("--since", "2026-02-01")[0]["new"]["fetched_at"] == at
    assert project.changes("--since", "2026-04-01") == []


def test_long_server_outage_is_reported_unavailable_not_removed(server: DocServer, project: Project) -> None:
    server.set("/policy", policy_html(POLICY))
    project.write_config(source_entry("lab-policy", server.url("/policy")),
                         extra='[fetch]\ndelay_per_host = "0s"\nretries = 0\nunavailable_after = "7d"\n')
    _check_ok(project, "--at", "2026-01-01T00:00:00Z")
    server.set("/policy", "down for maintenance", status=503, content_type="text/plain")

    def state() -> str:
        [entry] = json.loads(project.run("sources", "--json").stdout)
        return entry["state"]

    assert project.run("check", "--at", "2026-01-02T00:00:00Z").exit_code == 1
    assert state() == "failing"
    assert project.run("check", "--at", "2026-01-09T00:00:00Z").exit_code == 1
    assert state() == "unavailable"
    assert [c["kind"] for c in project.changes()] == ["first_seen"]
