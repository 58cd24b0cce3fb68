"""Links of index pages: added, removed and repointed; which are worth tracking; ids of discovered sources."""

from __future__ import annotations

import hashlib
import re

import pytest

from watcher.links import (
    LinkDiff,
    LinkRecord,
    diff_links,
    discovered_source_id,
    is_generic_anchor,
    is_trackable,
    link_records,
    normalize_url,
)

PAGE = "https://www.lab.example/safety"
L = LinkRecord


def test_added_and_removed_keep_page_order() -> None:
    old = [L("https://lab.example/a", "Framework v1"), L("https://lab.example/b", "Model card: Alpha")]
    new = [L("https://lab.example/b", "Model card: Alpha"), L("https://lab.example/d", "System card: Delta"),
           L("https://lab.example/c", "Eval report: Gamma")]

    diff = diff_links(old, new)

    assert diff == LinkDiff(added=(new[1], new[2]), removed=(old[0],), repointed=())
    assert not diff.empty


def test_same_anchor_text_at_a_new_url_is_repointed() -> None:
    old = [L("https://lab.example/files/framework-v2.pdf", "Frontier Safety Framework"),
           L("https://lab.example/news", "News")]
    new = [L("https://cdn.lab.example/2026/framework-v3.pdf", "  frontier safety framework: "),
           L("https://lab.example/news", "News")]

    diff = diff_links(old, new)

    assert diff.repointed == ((old[0], new[0]),)
    assert diff.added == () and diff.removed == ()


def test_generic_anchor_text_is_never_an_identity() -> None:
    old = [L("https://lab.example/v1.pdf", "Download"), L("https://lab.example/post-1", "Read more"),
           L("https://lab.example/img-1", "")]
    new = [L("https://lab.example/v2.pdf", "download"), L("https://lab.example/post-2", "Read more \u2192"),
           L("https://lab.example/img-2", "")]

    diff = diff_links(old, new)

    assert diff.repointed == ()
    assert diff.added == tuple(new) and diff.removed == tuple(old)


def test_a_url_on_both_sides_is_unchanged_even_if_its_text_changed() -> None:
    old = [L("https://lab.example/framework", "Safety framework (2025)")]
    new = [L("https://lab.example/framework/", "Safety framework (2026 update)")]

    assert diff_links(old, new).empty


def test_repointed_pairs_in_page_order_and_leftovers_stay_added_or_removed() -> None:
    old = [L("https://lab.example/s1", "Summary"), L("https://lab.example/s2", "Summary")]
    new = [L("https://lab.example/s3", "Summary")]

    diff = diff_links(old, new)

    assert diff.repointed == ((old[0], new[0]),)
    assert diff.removed == (old[1],) and diff.added == ()


def test_duplicate_links_to_one_url_count_once_under_their_telling_text() -> None:
    old: list[LinkRecord] = []
    new = [L("https://lab.example/card.pdf", ""), L("https://lab.example/card.pdf#page=2", "System card"),
           L("https://lab.example/card.pdf", "PDF")]

    assert diff_links(old, new).added == (new[1],)


def test_a_text_still_linked_at_its_old_url_is_not_repointed() -> None:
    old = [L("https://lab.example/policy-v1", "Usage policy")]
    new = [L("https://lab.example/policy-v1", "Usage policy"),
           L("https://lab.example/policy-v2", "Usage policy")]

    diff = diff_links(old, new)

    assert diff.repointed == () and diff.added == (new[1],) and diff.removed == ()


@pytest.mark.parametrize("a,b", [
    ("https://lab.example/policy#section-2", "https://lab.example/policy"),
    ("https://lab.example/policy/", "https://lab.example/policy"),
    ("https://lab.example", "https://lab.example/"),
    ("https://lab.example:443/policy", "https://lab.example/policy"),
    ("http://lab.example:80/policy", "http://lab.example/policy"),
    ("HTTPS://Lab.Example/policy", "https://lab.example/policy"),
], ids=["fragment", "trailing-slash", "root-slash", "https-default-port", "http-default-port",
        "case-of-host"])
def test_urls_that_mean_the_same_compare_equal(a: str, b: str) -> None:
    assert normalize_url(a) == normalize_url(b)
    assert diff_links([L(a, "Policy")], [L(b, "Policy")]).empty


@pytest.mark.parametrize("a,b", [
    ("https://lab.example/report?id=1", "https://lab.example/report?id=2"),
    ("https://lab.example:8443/policy", "https://lab.example/policy"),
    ("https://lab.example/Policy", "https://lab.example/policy"),
    ("http://lab.example/policy", "https://lab.example/policy"),
], ids=["query-kept", "non-default-port", "case-of-path", "scheme"])
def test_urls_that_differ_stay_different(a: str, b: str) -> None:
    assert normalize_url(a) != normalize_url(b)


def test_stored_json_becomes_records() -> None:
    stored = [{"url": "https://lab.example/a.pdf", "text": "Framework"}, {"url": "https://lab.example/b"}]

    assert link_records(stored) == (L("https://lab.example/a.pdf", "Framework"),
                                    L("https://lab.example/b", ""))


@pytest.mark.parametrize("text,generic", [
    ("", True), ("Here", True), ("click here", True), ("Read more \u2192", True), ("[PDF]", True),
    ("Learn more", True), ("\u2192", True), ("Download", True), ("Frontier Safety Framework", False),
    ("PDF of the framework", False),
])
def test_generic_anchors(text: str, generic: bool) -> None:
    assert is_generic_anchor(text) is generic


TRACKABLE = [
    ("pdf-on-other-host", L("https://cdn.other.example/files/Framework_v3.PDF?dl=1", "Framework"), True),
    ("pdf-on-same-site", L("https://lab.example/docs/system-card.pdf", "System card"), True),
    ("page-on-same-site", L("https://lab.example/news/updating-our-framework", "Updating our policy"), True),
    ("page-www-vs-bare-host", L("https://lab.example/research/eval-report", "Eval report"), True),
    ("page-with-query", L("https://www.lab.example/research?id=42", "Eval report 42"), True),
    ("wordpress-post-id", L("https://lab.example/?p=123", "Our commitments, one year on"), True),
    ("page-on-other-site", L("https://news.example/story/lab-framework", "Coverage"), False),
    ("page-on-subdomain", L("https://docs.lab.example/guide", "Developer guide"), False),
    ("the-page-itself", L("https://www.lab.example/safety/", "Safety"), False),
    ("the-page-itself-anchor", L("https://www.lab.example/safety#commitments", "Our commitments"), False),
    ("mailto", L("mailto:policy@lab.example", "Email us"), False),
    ("relative-anchor", L("#top", "Back to top"), False),
    ("login", L("https://lab.example/login", "Account"), False),
    ("signup-by-text", L("https://lab.example/start", "Sign up"), False),
    ("careers", L("https://lab.example/careers/research-engineer", "Research engineer"), False),
    ("privacy", L("https://lab.example/legal/privacy", "Privacy"), False),
    ("privacy-pdf", L("https://lab.example/legal/privacy.pdf", "Our notice"), False),
    ("terms", L("https://lab.example/terms-of-service", "Terms of service"), False),
    ("cookies", L("https://lab.example/cookie-settings", "Preferences"), False),
    ("contact", L("https://lab.example/contact-us", "Get in touch"), False),
    ("search", L("https://lab.example/search?q=framework", "Find"), False),
    ("social-host", L("https://x.com/examplelab/status/1", "Announcement thread"), False),
    ("social-subdomain", L("https://www.linkedin.com/company/examplelab", "LinkedIn"), False),
    ("feed", L("https://lab.example/news/feed", "Subscribe to updates"), False),
    ("feed-xml", L("https://lab.example/news/rss.xml", "News feed"), False),
    ("image", L("https://lab.example/images/chart.png", "Chart"), False),
    ("stylesheet", L("https://lab.example/static/site.css", "Styles"), False),
    ("script", L("https://lab.example/static/app.js?v=3", "App"), False),
    ("tag-page", L("https://lab.example/news/tag/policy", "Policy"), False),
    ("category-page", L("https://lab.example/category/announcements", "Announcements"), False),
    ("pagination-path", L("https://lab.example/news/page/2", "Older"), False),
    ("pagination-query", L("https://lab.example/news?page=3", "3"), False),
    ("ftp", L("ftp://lab.example/framework.pdf", "Framework"), False),
]


@pytest.mark.parametrize("link,expected", [(link, e) for _, link, e in TRACKABLE],
                         ids=[n for n, _, _ in TRACKABLE])
def test_trackability(link: LinkRecord, expected: bool) -> None:
    assert is_trackable(link, PAGE) is expected


ID_FORMAT = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


@pytest.mark.parametrize("url,text,slug", [
    ("https://lab.example/files/Frontier_Safety_Framework_v3.pdf", "PDF", "frontier-safety-framework-v3"),
    ("https://lab.example/research/model-card-alpha/", "Alpha", "model-card-alpha"),
    ("https://lab.example/research/eval-report/index.html", "Report", "eval-report"),
    ("https://lab.example/download/5f3a9c0e1b2d4e6f/", "Safety Case Summary", "safety-case-summary"),
    ("https://lab.example/?p=123", "Résumé of changes", "resume-of-changes"),
], ids=["pdf-file-name", "trailing-slash", "index-file", "id-like-path-uses-text", "no-path-uses-text"])
def test_discovered_ids_read_well(url: str, text: str, slug: str) -> None:
    digest = hashlib.sha256(normalize_url(url).encode()).hexdigest()[:6]

    assert discovered_source_id("lab-index", L(url, text)) == f"lab-index-{slug}-{digest}"


def test_discovered_ids_are_stable_and_distinct() -> None:
    link = L("https://lab.example/research/model-card-alpha", "Alpha")

    assert discovered_source_id("lab-index", link) == discovered_source_id("lab-index", link)
    assert discovered_source_id("lab-index", link) == discovered_source_id(
        "lab-index", L("https://lab.example/research/model-card-alpha/#top", "Alpha (updated)"))
    assert discovered_source_id("lab-index", link) != discovered_source_id(
        "lab-index", L("https://lab.example/archive/model-card-alpha", "Alpha"))
    assert discovered_source_id("lab-index", link) != discovered_source_id("other-index", link)


def test_a_link_with_nothing_to_slug_gets_parent_and_hash() -> None:
    url = "https://lab.example/%E5%AE%89%E5%85%A8"
    digest = hashlib.sha256(normalize_url(url).encode()).hexdigest()[:6]

    assert discovered_source_id("lab-index", L(url, "安全フレームワーク")) == f"lab-index-{digest}"


@pytest.mark.parametrize("parent,url,text", [
    ("lab-index", "https://lab.example/" + "very-long-segment-" * 10 + ".pdf", "x"),
    ("a" * 80, "https://lab.example/framework.pdf", "Framework"),
    ("lab-index", "https://lab.example/", ""),
    ("lab-index", "https://lab.example/%E5%AE%89%E5%85%A8", "安全フレームワーク"),
    ("lab-index", "https://lab.example/Policy__V2--Final!!.PDF", "Policy"),
], ids=["long-path", "long-parent", "nothing-to-slug", "non-ascii", "punctuation-and-case"])
def test_discovered_ids_always_fit_the_source_id_format(parent: str, url: str, text: str) -> None:
    source_id = discovered_source_id(parent, L(url, text))
    digest = hashlib.sha256(normalize_url(url).encode()).hexdigest()[:6]

    assert ID_FORMAT.match(source_id), source_id
    assert len(source_id) <= 80 and "--" not in source_id
    assert source_id.endswith("-" + digest)
    assert source_id.startswith(parent[:20])
