"""The web UI over data made by real `watcher check` runs: every route, 404s and 400s (never a 500),
escaping of a hostile document, Atom feeds, JSON equal to `watcher changes --json`, downloads, headers."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.documents import policy_html
from tests.server import DocServer
from tests.web_client import TestClient, active_content, client_for
from tests.web_site import Site, build_site
from watcher.store import Store
from watcher.web import changes as changes_view

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(tmp_path_factory.mktemp("web"))


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with client_for(site.data) as test_client:
        yield test_client


def _change(site: Site, source: str, kind: str = "modified", index: int = 0) -> dict:
    return [c for c in site.project.changes() if c["source"] == source and c["kind"] == kind][index]


def _weakening(site: Site) -> dict:
    return next(c for c in site.project.changes() if c["source"] == "lab-policy"
                and any("we may pause" in h["new_text"] for h in c["hunks"]))


# ---- every route ---------------------------------------------------------------------------------------

PAGES = [
    "/", "/changes", "/changes?org=Example+Lab&kind=modified&min_severity=low&verdict=silent&tag=IV"
    "&since=2026-01-01&until=2026-12-31&material=yes", "/sources/lab-policy", "/sources/lab-pdf",
    "/sources/hostile", "/sources/lab-policy/versions/1", "/sources/hostile/versions/2",
    "/sources/lab-policy/diff/1..2", "/sources/lab-policy/diff/1..3?view=side",
    "/sources/lab-policy/diff/3..1",
    "/sources/hostile/diff/1..2", "/sources/hostile/diff/1..2?view=side", "/sources/lab-pdf/diff/1..2",
    "/search", "/search?q=pause+deployment", "/search?q=%3Cscript%3E", "/search?q=ab",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_safely(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert active_content(response.text) == []
    assert "<script" not in response.text.lower()


@pytest.mark.parametrize("path,media_type", [
    ("/overview.json", "application/json"), ("/changes.json", "application/json"),
    ("/sources/lab-policy.json", "application/json"),
    ("/sources/lab-policy/diff/1..2.json", "application/json"), ("/search.json?q=pause", "application/json"),
    ("/sources/lab-policy/versions/1.txt", "text/plain; charset=utf-8"),
    ("/feeds/changes.atom", "application/atom+xml; charset=utf-8"),
    ("/static/style.css", "text/css; charset=utf-8"),
])
def test_machine_routes(client: TestClient, path: str, media_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type


def test_change_pages_for_every_change(client: TestClient, site: Site) -> None:
    for change in site.project.changes():
        page = client.get(f"/changes/{change['id']}")
        assert page.status_code == 200
        assert active_content(page.text) == []
        assert client.get(f"/changes/{change['id']}.json").json() == change


# ---- bad ids and parameters ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/nope", "/changes/999999", "/changes/99999999999999999999999999", "/changes/0", "/changes/abc",
    "/changes/-1", "/sources/nope", "/sources/nope.json", "/sources/" + "x" * 500,
    "/sources/lab-policy/versions/99", "/sources/lab-policy/versions/0", "/sources/lab-policy/versions/x",
    "/sources/lab-policy/versions/99999999999999999999999/original", "/sources/nope/versions/1/original",
    "/sources/lab-policy/diff/1..99", "/sources/lab-policy/diff/1..x", "/sources/lab-policy/diff/1",
    "/sources/nope/diff/1..2", "/sources/nope/diff/1..2.json", "/feeds/orgs/Nobody.atom",
    "/feeds/sources/nope.atom", "/static/nope.css", "/static/../store/web.py",
])
def test_unknown_ids_are_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, path
    assert "<script" not in response.text.lower()


@pytest.mark.parametrize("path", [
    "/changes?severity=urgent", "/changes?min_severity=x", "/changes?severity=high&min_severity=low",
    "/changes?since=yesterday", "/changes?until=2026-13-45", "/changes?page=0", "/changes?page=abc",
    "/changes?page=99999999999", "/changes?kind=exploded", "/changes?verdict=maybe",
    "/changes?material=perhaps",
    "/changes?org=a&org=b", "/changes.json?page=-2", "/changes?tag=" + "I" * 300,
    "/sources/lab-policy/diff/1..2?view=sideways", "/sources/lab-policy/diff?from=1",
    "/sources/lab-policy/diff?from=a&to=2", "/search.json", "/search?q=" + "a" * 400, "/search?q=%00abc",
    "/feeds/changes.atom?min_severity=critical",
])
def test_bad_parameters_are_400(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400, path
    assert "<script" not in response.text.lower()


def test_errors_of_machine_routes_are_json(client: TestClient) -> None:
    response = client.get("/changes/999999.json")
    assert response.status_code == 404
    assert response.json() == {"error": "no change 999999", "status": 404}


def test_only_get_is_allowed(client: TestClient) -> None:
    assert client.post("/changes").status_code == 405
    assert client.delete("/sources/lab-policy").status_code == 405


# ---- escaping ------------------------------------------------------------------------------------------

def test_hostile_document_is_text_everywhere(client: TestClient, site: Site) -> None:
    change = _change(site, "hostile")
    pages = ["/", "/changes", f"/changes/{change['id']}", "/sources/hostile", "/sources/hostile/versions/1",
             "/sources/hostile/versions/2", "/sources/hostile/diff/1..2",
             "/sources/hostile/diff/1..2?view=side",
             "/search?q=window.__pwned", "/search?q=%3Cimg+src%3Dx"]
    for path in pages:
        html = client.get(path).text
        assert active_content(html) == [], path
        assert "<script" not in html.lower() and "javascript:" not in html, path
    timeline = client.get("/sources/hostile").text
    assert "Hostile &lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt; policy" in timeline  # <title>
    text = client.get("/sources/hostile/versions/1").text
    assert "&lt;img src=x onerror=&#34;window.__pwned=2&#34;&gt;" in text
    assert "&lt;/textarea&gt;&lt;/title&gt;&lt;/style&gt;" in text
    diff = client.get("/sources/hostile/diff/1..2").text
    assert "&lt;script&gt;window.__pwned = <del>1</del><ins>2</ins>;" in diff


def test_markup_in_configured_names_is_escaped(server: DocServer, project: Project) -> None:
    server.set("/page", policy_html(["# Policy", "We will evaluate every frontier model before deployment."]))
    project.write_config(f"""
[[source]]
id = "odd"
org = "Lab <img src=x onerror=alert(1)>"
title = "<script>alert(1)</script> Policy"
kind = "framework"
url = "{server.url('/page')}"
""")
    assert project.run("check", "--at", "2026-03-01T00:00:00Z").exit_code == 0
    with client_for(project.root) as client:
        for path in ("/", "/changes", "/sources/odd", "/sources/odd/versions/1", "/changes/1"):
            html = client.get(path).text
            assert active_content(html) == [] and "<script" not in html, path
            assert "&lt;script&gt;alert(1)&lt;/script&gt; Policy" in html, path
        feed = client.get("/feeds/orgs/Lab%20%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.atom?min_severity=info")
        assert feed.status_code == 200
        assert ET.fromstring(feed.content).find(f"{ATOM}title").text.startswith("watcher: Lab <img")


def test_templates_never_mark_text_safe() -> None:
    templates = Path(__file__).resolve().parent.parent / "watcher" / "web" / "templates"
    for template in templates.glob("*.html"):
        source = template.read_text(encoding="utf-8")
        assert "|safe" not in source.replace(" ", "") and "autoescape false" not in source, template.name
    from watcher.web.context import templates as environment
    assert environment().autoescape is True


def test_only_http_links_are_clickable() -> None:
    from watcher.web.context import safe_href
    assert safe_href("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for url in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "//evil.example", "/local",
                "vbscript:x", "http://", None, 3):
        assert safe_href(url) is None, url


# ---- headers and downloads -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/changes/999999", "/static/style.css", "/feeds/changes.atom",
                                  "/changes.json", "/sources/lab-policy/versions/1/original"])
def test_strict_security_headers_everywhere(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "script-src" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers.get("x-frame-options") == "DENY"


def test_original_files_are_downloads_never_html(client: TestClient, site: Site) -> None:
    html = client.get("/sources/hostile/versions/1/original")
    assert html.status_code == 200
    assert html.headers["content-disposition"] == 'attachment; filename="hostile-v1.html"'
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["x-content-type-options"] == "nosniff"
    assert html.headers["content-security-policy"].startswith("sandbox")
    assert b"<script>window.__pwned = 5</script>" in html.content  # the bytes as fetched
    pdf = client.get("/sources/lab-pdf/versions/2/original")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="lab-pdf-v2.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    assert _sha256(pdf.content) == _change(site, "lab-pdf")["new"]["raw_sha256"]


def _sha256(data: bytes) -> str:
    import hashlib
    return hashlib.sha256(data).hexdigest()


def test_three_clicks_from_overview_to_the_original_pdf(client: TestClient) -> None:
    overview = client.get("/").text
    diff_link = re.search(r'href="(/sources/lab-pdf/diff/1\.\.2)"', overview)
    assert diff_link, "the overview links the newest diff of each document"
    diff = client.get(diff_link.group(1)).text
    original = re.search(r'class="original" href="(/sources/lab-pdf/versions/2/original)"', diff)
    assert original
    assert client.get(original.group(1)).content.startswith(b"%PDF-")


# ---- JSON is the `watcher changes --json` contract ----------------------------------------------------

def test_change_list_json_is_watcher_changes_json(client: TestClient, site: Site) -> None:
    assert client.get("/changes.json").json() == site.project.changes()
    for query, options in (("source=lab-policy", ("--source", "lab-policy")),
                           ("since=2026-04-01", ("--since", "2026-04-01"))):
        assert client.get(f"/changes.json?{query}").json() == site.project.changes(*options)


def test_change_list_filters(client: TestClient, site: Site) -> None:
    def ids(query: str) -> list[int]:
        return [c["id"] for c in client.get(f"/changes.json?{query}").json()]

    everything = site.project.changes()
    weakening = _weakening(site)
    assert ids("org=Example+Lab") == [c["id"] for c in everything]
    assert ids("org=Nobody") == []
    assert ids("kind=first_seen") == [c["id"] for c in everything if c["kind"] == "first_seen"]
    assert ids("severity=info") == [c["id"] for c in everything if c["severity"] == "info"]
    assert ids("min_severity=medium") == [c["id"] for c in everything if c["severity"] in ("medium", "high")]
    assert weakening["id"] in ids("tag=IV&material=yes&verdict=silent")
    assert ids("verdict=none") == [c["id"] for c in everything if c["explanation"] is None]
    assert ids("material=no") == [c["id"] for c in everything if c["material"] is False]
    assert ids("until=2026-03-01") == [c["id"] for c in everything if c["detected_at"] < "2026-03-02"]
    assert ids("since=2026-04-01T12:00:00Z&until=2026-04-01") == [
        c["id"] for c in everything if c["detected_at"].startswith("2026-04-01")]


def test_change_list_is_paged_newest_first(client: TestClient, site: Site,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes_view, "PER_PAGE", 2)
    everything = [c["id"] for c in site.project.changes()]
    assert [c["id"] for c in client.get("/changes.json").json()] == everything[:2]
    assert [c["id"] for c in client.get("/changes.json?page=2").json()] == everything[2:4]
    page = client.get("/changes?page=2&org=Example+Lab").text
    assert 'href="/changes?org=Example+Lab&amp;page=3"' in page and 'href="/changes?org=Example+Lab"' in page
    assert client.get(f"/changes.json?page={len(everything)}").json() == []


def test_document_json_has_versions_failures_and_changes(client: TestClient, site: Site) -> None:
    doc = client.get("/sources/lab-policy.json").json()
    assert [v["version"] for v in doc["versions"]] == [1, 2, 3]
    history = json.loads(site.project.run("history", "lab-policy", "--json").stdout)
    assert doc["versions"] == history  # the objects `watcher history --json` prints
    assert [f["status"] for f in doc["fetch_failures"]] == [500]
    assert doc["changes"] == site.project.changes("--source", "lab-policy")


def test_diff_json_matches_watcher_diff(client: TestClient, site: Site) -> None:
    for old, new in ((1, 2), (1, 3), (3, 1)):
        web = client.get(f"/sources/lab-policy/diff/{old}..{new}.json").json()
        cli = json.loads(site.project.run("diff", "lab-policy", str(old), str(new), "--json").stdout)
        assert {k: web[k] for k in ("source", "old", "new", "stats")} == \
            {k: cli[k] for k in cli if k != "hunks"}
        plain = [{k: h[k] for k in cli["hunks"][0]} for h in web["hunks"]]
        assert plain == cli["hunks"]


# ---- pages say what they should ------------------------------------------------------------------------

def test_diff_page_labels_hunks_and_collapses_editorial_ones(client: TestClient, site: Site) -> None:
    html = client.get("/sources/lab-policy/diff/1..2").text
    weakening = _weakening(site)
    assert f'href="/changes/{weakening["id"]}"' in html
    assert "we <del>will</del><ins>may</ins> pause deployment" in html
    assert '<span class="chip dir-weaken">weaken</span>' in html and 'title="Processes at or over' in html
    editorial = re.search(r'<section class="hunk is-editorial" id="hunk-(\d)">\s*<details>', html)
    assert editorial, "editorial hunks are collapsed (<details> without open)"
    assert '<section class="hunk is-material" id="hunk-1">\n<details open>' in html
    assert 'href="#hunk-2" rel="next"' in html and 'href="#hunk-1" rel="prev"' in html
    side = client.get("/sources/lab-policy/diff/1..2?view=side").text
    assert '<div class="old"><h4>Before (v1)</h4>' in side and '<div class="new"><h4>After (v2)</h4>' in side
    assert "we <del>will</del> pause" in side and "we <ins>may</ins> pause" in side


def test_diff_between_any_two_versions_reuses_stored_labels(client: TestClient, site: Site) -> None:
    web = client.get("/sources/lab-policy/diff/1..3.json").json()
    assert web["labels"] == "computed" and web["change"] is None
    weakening = _weakening(site)
    removal = next(c for c in site.project.changes() if c["source"] == "lab-policy" and c["new"]
                   and c["new"]["version"] == 3)
    pause = next(h for h in web["hunks"] if "may pause" in h["new_text"])
    assert pause["material"] and "IV" in pause["tags"] and pause["direction"] == "weaken"
    assert pause["labels_from"] == weakening["id"] and pause["explanation"] is None
    gone = next(h for h in web["hunks"] if "external review board" in h["old_text"])
    assert gone["direction"] == "remove" and gone["labels_from"] == removal["id"]
    html = client.get("/sources/lab-policy/diff/1..3").text
    assert "These versions are not consecutive" in html
    assert f'Labels from change <a href="/changes/{weakening["id"]}">' in html


def test_diff_backwards_is_classified_now(client: TestClient) -> None:
    web = client.get("/sources/lab-policy/diff/3..1.json").json()
    assert all(h["labels_from"] is None for h in web["hunks"])
    back = next(h for h in web["hunks"] if "will pause" in h["new_text"])
    assert back["material"] and back["direction"] == "strengthen"
    assert any(h["direction"] == "add" and "external review board" in h["new_text"] for h in web["hunks"])
    same = client.get("/sources/lab-policy/diff/2..2")
    assert same.status_code == 200 and "The two texts are identical." in same.text


def test_compare_form_redirects_to_the_permalink(client: TestClient) -> None:
    response = client.get("/sources/lab-policy/diff?from=1&to=3", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sources/lab-policy/diff/1..3"


def test_document_page_shows_the_timeline(client: TestClient, site: Site) -> None:
    html = client.get("/sources/lab-policy").text
    for number in (1, 2, 3):
        assert f'href="/sources/lab-policy/versions/{number}/original" download' in html
    assert 'href="/sources/lab-policy/diff/2..3">diff with v2</a>' in html
    v3 = _change(site, "lab-policy", index=0)["new"]
    assert v3["text_sha256"] in html and v3["raw_sha256"] in html
    failure = html.index('<li class="failure">')
    assert "HTTP 500" in html[failure:failure + 300]
    assert failure < html.index(">Version 3</a>") < html.index(">Version 2</a>")  # newest first
    assert "<dt>HTTP</dt><dd>200 · text/html; charset=utf-8 · ETag" in html


def test_version_page_numbers_lines_for_permalinks(client: TestClient) -> None:
    html = client.get("/sources/lab-policy/versions/1").text
    text = client.get("/sources/lab-policy/versions/1.txt").text
    first_line = text.split("\n")[0]
    assert first_line.endswith("Example Lab Frontier Safety Policy")
    assert f'<a class="ln" href="#L1">1</a><span class="lt">{first_line}</span></div>' in html
    assert '<div class="line" id="L1">' in html


def test_overview_shows_documents_badges_and_the_commitment_matrix(client: TestClient, site: Site) -> None:
    html = client.get("/").text
    weakening = _weakening(site)
    for source in ("lab-policy", "lab-pdf", "hostile"):
        assert f'href="/sources/{source}"' in html
    assert 'class="badge sev-high"' in html and 'class="badge verdict-silent"' in html
    assert '<span class="badge failed"' in html  # lab-policy's last check failed
    overview = client.get("/overview.json").json()
    [org] = overview["organisations"]
    assert org["name"] == "Example Lab"
    cell = org["commitments"]["IV"]
    assert cell["change"] >= weakening["id"] and cell["severity"] == "high"
    tagged = client.get("/changes.json?tag=IV&material=yes").json()
    assert isinstance(cell["flagged_changes"], int) and 1 <= cell["flagged_changes"] <= len(tagged)
    policy = next(d for d in org["documents"] if d["source"] == "lab-policy")
    assert policy["versions"] == 3 and policy["last_check"]["outcome"] == "error"
    assert policy["last_change"]["severity"] is not None


# ---- search ------------------------------------------------------------------------------------------

def test_search_says_when_a_sentence_appeared_and_disappeared(client: TestClient) -> None:
    result = client.get("/search.json?q=we+WILL+pause+deployment").json()
    by_source = {d["source"]: d for d in result["documents"]}
    policy = by_source["lab-policy"]
    assert policy["versions"] == [1]
    assert policy["first"] == {"version": 1, "first_seen_at": "2026-03-01T12:00:00Z"}
    assert policy["gone"] == {"version": 2, "first_seen_at": "2026-04-01T12:00:00Z"}
    assert policy["still_present"] is False
    still = client.get("/search.json?q=may pause deployment").json()
    policy = next(d for d in still["documents"] if d["source"] == "lab-policy")
    assert policy["versions"] == [2, 3] and policy["gone"] is None and policy["still_present"] is True
    assert client.get("/search.json?q=no+such+sentence+anywhere").json()["documents"] == []
    assert client.get("/search.json?q=ab").json()["problem"] == "type at least 3 characters"


def test_search_page_links_versions_and_lines(client: TestClient) -> None:
    html = client.get("/search?q=external+review+board").text
    assert '<mark>external review board</mark>' in html
    v2 = client.get("/sources/lab-policy/versions/2.txt").text.split("\n")
    line = next(i for i, text in enumerate(v2, start=1) if "external review board" in text)
    assert f'href="/sources/lab-policy/versions/2#L{line}">v2, line {line}</a>' in html
    assert "gone since" in html and 'href="/sources/lab-policy/diff/2..3"' in html


def test_search_index_catches_up_and_shares_blocks(client: TestClient, site: Site) -> None:
    client.get("/search?q=pause")  # versions stored by `watcher check` are indexed by the first search
    store = Store(site.data)
    try:
        assert store.unindexed_count() == 0
        blocks = store.db.execute("SELECT COUNT(*) FROM search_blocks").fetchone()[0]
        occurrences = store.db.execute("SELECT SUM(blocks) FROM search_versions").fetchone()[0]
        assert blocks < occurrences  # a paragraph shared by versions is stored once
        version = store.latest_version("lab-policy")
        assert store.index_version(version.id, store.read_text(version), "2026-07-01T00:00:00Z") == 0
    finally:
        store.close()


# ---- Atom feeds ----------------------------------------------------------------------------------------

def _parse_atom(client: TestClient, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None and feed.find(f"{ATOM}{required}").text, required
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "watcher"
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    _rfc3339(feed.find(f"{ATOM}updated").text)
    for entry in feed.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}").text, required
        _rfc3339(entry.find(f"{ATOM}updated").text)
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None and link.get("href").startswith("http")
    return feed


def _rfc3339(value: str) -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value), value
    datetime.fromisoformat(value.replace("Z", "+00:00"))


def _entry_ids(feed: ET.Element) -> list[str]:
    return [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")]


def test_atom_feeds_are_valid_and_filtered(client: TestClient, site: Site) -> None:
    everything = site.project.changes()
    feed = _parse_atom(client, "/feeds/changes.atom")
    low = [c for c in everything if c["severity"] != "info"]
    assert _entry_ids(feed) == [f"http://testserver/changes/{c['id']}" for c in low]
    high = _parse_atom(client, "/feeds/changes.atom?min_severity=high")
    assert _entry_ids(high) == [f"http://testserver/changes/{c['id']}" for c in everything
                                if c["severity"] == "high"]
    assert high.find(f"{ATOM}id").text == "http://testserver/feeds/changes.atom?min_severity=high"
    info = _parse_atom(client, "/feeds/changes.atom?min_severity=info")
    assert len(_entry_ids(info)) == len(everything)
    org = _parse_atom(client, "/feeds/orgs/Example%20Lab.atom?min_severity=info")
    assert _entry_ids(org) == _entry_ids(info)
    document = _parse_atom(client, "/feeds/sources/hostile.atom?min_severity=info")
    assert _entry_ids(document) == [f"http://testserver/changes/{c['id']}" for c in everything
                                    if c["source"] == "hostile"]
    hostile = document.find(f"{ATOM}entry/{ATOM}content")
    assert hostile.get("type") == "html" and "&lt;script&gt;" in hostile.text  # escaped inside the HTML


def test_feeds_use_the_configured_base_url(site: Site) -> None:
    with client_for(site.data, base_url="https://watch.example.org") as client:
        feed = _parse_atom(client, "/feeds/changes.atom")
    assert feed.find(f"{ATOM}id").text == "https://watch.example.org/feeds/changes.atom"
    assert all(i.startswith("https://watch.example.org/changes/") for i in _entry_ids(feed))


def test_empty_feed_is_still_valid(tmp_path: Path) -> None:
    Store(tmp_path).close()
    with client_for(tmp_path) as client:
        feed = _parse_atom(client, "/feeds/changes.atom")
        assert feed.find(f"{ATOM}updated").text == "1970-01-01T00:00:00Z"
        assert client.get("/").status_code == 200
        assert client.get("/search?q=anything").status_code == 200


# ---- the command -----------------------------------------------------------------------------------------

def test_serve_indexes_then_listens_where_told(server: DocServer, project: Project,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append({"app": app, **options}))
    server.set("/page", policy_html(["# Policy", "We will evaluate every frontier model before deployment."]))
    project.write_config(f'[[source]]\nid = "p"\norg = "Lab"\ntitle = "P"\nkind = "framework"\n'
                         f'url = "{server.url("/page")}"\n')
    assert "no watcher.db here yet" in project.run("serve").output
    assert project.run("check").exit_code == 0

    result = project.run("serve")
    assert result.exit_code == 0, result.output
    assert "indexing" not in result.output  # `watcher check` indexed the new version as it stored it
    assert f"serving {project.root} at http://127.0.0.1:8000/" in result.output
    assert (calls[-1]["host"], calls[-1]["port"]) == ("127.0.0.1", 8000)
    store = Store(project.root)
    try:
        assert store.unindexed_count() == 0
    finally:
        store.close()

    with project.config.open("a", encoding="utf-8") as config:
        config.write('\n[web]\nport = 8123\nbase_url = "https://w.example.org"\n')
    assert project.run("serve").exit_code == 0
    assert calls[-1]["port"] == 8123
    assert calls[-1]["app"].state.settings.base_url == "https://w.example.org"
    assert project.run("serve", "--host", "0.0.0.0", "--port", "9000").exit_code == 0
    assert (calls[-1]["host"], calls[-1]["port"]) == ("0.0.0.0", 9000)
    assert project.run("serve", "--port", "70000").exit_code == 2


def test_lists_follow_a_verdict_that_settles(server: DocServer, project: Project) -> None:
    server.set("/p", policy_html(["# Policy", "If a model crosses a threshold, we will pause deployment."]))
    project.write_config(f'[[source]]\nid = "p"\norg = "Lab"\ntitle = "P"\nkind = "framework"\n'
                         f'url = "{server.url("/p")}"\n')
    assert project.run("check", "--at", "2026-03-01T00:00:00Z").exit_code == 0
    server.set("/p", policy_html(["# Policy", "If a model crosses a threshold, we may pause deployment."]))
    assert project.run("check", "--at", "2026-04-01T00:00:00Z").exit_code == 0
    with client_for(project.root) as client:
        [pending] = client.get("/changes.json?verdict=pending").json()
        assert client.get("/changes.json?verdict=silent").json() == []
        assert project.run("reevaluate", "--at", "2026-06-01T00:00:00Z").exit_code == 0
        assert client.get("/changes.json?verdict=pending").json() == []
        [settled] = client.get("/changes.json?verdict=silent&min_severity=high").json()
        assert settled["id"] == pending["id"] and settled == project.changes("--limit", "1")[0]
        assert '<span class="badge verdict-silent"' in client.get("/").text


def test_badge_filters_escape_their_values() -> None:
    from watcher.web.context import severity_badge, verdict_badge, when

    assert "<script>" not in severity_badge('<script>x</script>"')
    assert "&lt;script&gt;" in verdict_badge("<script>")
    assert '"><' not in verdict_badge('"><img>')
    assert str(when('2026-01-02T03:04:05Z"><x>')).count("<") == 2  # only <time> and </time>
    assert str(when(None)) == "\u2013"
