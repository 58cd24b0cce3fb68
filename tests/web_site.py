"""A data folder for the web UI tests, made by real `watcher check` runs against a local document server.

Three documents of "Example Lab", checked on four dates:

    lab-policy   HTML framework: v1 (1 March 2026); v2 (1 April) "we will pause" -> "we may pause" (a
                 material weakening under IV) plus a typographic edit; v3 (1 May) the external review
                 sentence removed; a failed fetch (HTTP 500) on 2 May
    lab-pdf      a PDF companion document: v1, then v2 with one sentence changed
    hostile      an HTML page whose text, title and links try to run script: v1, then v2
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.conftest import Project, source_entry
from tests.documents import policy_html
from tests.pdfgen import make_pdf
from tests.server import DocServer

FAST = '[fetch]\ndelay_per_host = "0s"\nretries = 0\n[classify]\ngrace_window = "30d"\n'

POLICY = [
    "# Example Lab Frontier Safety Policy",
    "Version 1.0",
    "Effective 1 March 2026",
    "# 1. Capability thresholds",
    "We will evaluate every frontier model for biological and cyber capabilities before deployment.",
    "A model crosses the cyber threshold when it solves 50% of our expert intrusion tasks.",
    "# 2. Response",
    "If a model crosses a threshold, we will pause deployment until the required safeguards are in place.",
    "An external review board will assess the safeguards within 30 days.",
    "# 3. Governance",
    "The safety committee reviews this policy every six months.",
]

PDF_TEXT = [
    "# Example Lab Security Annex",
    "Model weights are stored in a secure enclave with two-person access control.",
    "Security reviews happen every quarter and their findings go to the safety committee.",
]

HOSTILE_TITLE = "Hostile <script>document.title='pwned'</script> policy"


def hostile_html(version: int) -> str:
    """A page whose text holds markup and script; only escaping keeps it text."""
    verb = "will" if version == 1 else "may"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{HOSTILE_TITLE}</title></head>
<body><main>
<h1>Hostile &lt;b onmouseover="window.__pwned=9"&gt;policy&lt;/b&gt;</h1>
<p>This text says &lt;script&gt;window.__pwned = {version}; document.title = 'pwned'&lt;/script&gt;
in the document.</p>
<p>An image &lt;img src=x onerror="window.__pwned=2"&gt; and &lt;svg onload="window.__pwned=3"&gt;
written as text.</p>
<p>A <a href="javascript:window.__pwned=4">javascript link</a> and a
<a href="https://example.org/ok">plain link</a>.</p>
<p>Quotes " and ' and &amp; and a closing &lt;/textarea&gt;&lt;/title&gt;&lt;/style&gt; tag,
then "&gt;&lt;x y="</p>
<p>If a model crosses a threshold, we {verb} pause deployment until the required safeguards are in place.</p>
<p>The safety committee reviews this page every quarter and publishes its findings for everyone.</p>
<script>window.__pwned = 5</script>
</main></body></html>"""


@dataclass
class Site:
    """The project folder (sources.toml and data) after the checks."""

    project: Project

    @property
    def data(self) -> Path:
        return self.project.root


def _check(project: Project, at: str) -> None:
    result = project.run("check", "--at", at)
    assert result.exit_code == 0, result.output


def _edit(blocks: list[str], old: str, new: str) -> list[str]:
    edited = [b.replace(old, new) for b in blocks]
    assert edited != blocks, f"{old!r} not found"
    return edited


def build_site(root: Path) -> Site:
    """Serve the three documents, check them on four dates, settle the verdicts."""
    server = DocServer()
    try:
        project = Project(root)
        server.set("/policy", policy_html(POLICY, noise="1"))
        server.set("/annex.pdf", make_pdf(PDF_TEXT), content_type="application/pdf")
        server.set("/hostile", hostile_html(1))
        project.write_config(
            source_entry("lab-policy", server.url("/policy"))
            + source_entry("lab-pdf", server.url("/annex.pdf"), kind="companion")
            + source_entry("hostile", server.url("/hostile")), extra=FAST)
        _check(project, "2026-03-01T12:00:00Z")

        v2 = _edit(_edit(POLICY, "we will pause deployment", "we may pause deployment"),
                   "every six months.", "every six months;")
        server.set("/policy", policy_html(v2, noise="2"))
        server.set("/annex.pdf", make_pdf(_edit(PDF_TEXT, "every quarter", "every year")),
                   content_type="application/pdf")
        server.set("/hostile", hostile_html(2))
        _check(project, "2026-04-01T12:00:00Z")

        v3 = [b for b in v2 if not b.startswith("An external review board")]
        server.set("/policy", policy_html(v3, noise="3"))
        _check(project, "2026-05-01T12:00:00Z")

        server.set("/policy", policy_html(v3, noise="4"), fail_first=[500])
        project.run("check", "lab-policy", "--at", "2026-05-02T12:00:00Z")
        assert project.run("reevaluate", "--at", "2026-07-01T00:00:00Z").exit_code == 0
        return Site(project)
    finally:
        server.close()
