"""Quarantine: challenges, walls, soft 404s, error and empty pages are caught; real documents never are."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from watcher.normalize.html import html_to_text
from watcher.quarantine import (
    ACCESS_DENIED,
    AKAMAI,
    CAPTCHA,
    CLOUDFLARE,
    DATADOME,
    EMPTY_PAGE,
    EMPTY_PDF,
    EMPTY_SHELL,
    ERROR_PAGE,
    IMPERVA,
    LITTLE_TEXT,
    LOGIN_WALL,
    PERIMETERX,
    REDIRECT_STUB,
    SOFT_404,
    VERCEL,
    not_content_reason,
    shrank_suspiciously,
)

URL = "https://lab.example/safety/framework"


@dataclass(frozen=True)
class Page:
    """An HTML page as the pipeline sees it: raw markup plus the normalizer's text and title."""

    html: str
    url: str = URL

    def reason(self, *, previous_chars: int | None = None, status: int = 200) -> str | None:
        """What quarantine says about this page."""
        page = html_to_text(self.html, self.url)
        return not_content_reason(status=status, fmt="html", raw_html=self.html, text=page.text,
                                  title=page.title, url=self.url, previous_chars=previous_chars)

    def chars(self) -> int:
        """Length of the normalized text."""
        return len(html_to_text(self.html, self.url).text)


def _doc(body: str, title: str = "Example Lab", head: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
            f"<body>{body}</body></html>")


ANALYTICS = ('<script async src="https://stats.lab.example/a.js"></script>'
             "<script>window.dataLayer=[];</script>")
CF_BOT_MANAGEMENT = ("<script>(function(){var s=document.createElement('script');"
                     "s.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';"
                     "document.head.appendChild(s);})();</script>")
NEWSLETTER_RECAPTCHA = ('<form action="/subscribe"><input type="email" name="email"><div class="g-recaptcha" '
                        'data-sitekey="6Lc0000000000000000000000000000000000000"></div>'
                        "<button>Subscribe</button>"
                        '</form><script src="https://www.google.com/recaptcha/api.js" async defer></script>')
LOGIN_DIALOG = ('<dialog id="account"><form action="/session"><input type="email" name="user">'
                '<input type="password" name="pass"><button>Sign in</button></form></dialog>')

NOT_CONTENT = [
    ("cloudflare-just-a-moment", Page(_doc(
        '<div class="main-wrapper" role="main"><div class="main-content"><h1 class="zone-name-title '
        'h1">lab.example</h1><h2 id="challenge-running">Verifying you are human. This may take a few '
        'seconds.</h2><div id="challenge-body-text">lab.example needs to review the security of your '
        'connection before proceeding.</div></div></div><div class="footer" role="contentinfo"><div '
        'class="ray-id">Ray ID: <code>8f00aa11bb22cc33</code></div><div id="footer-text">Performance &amp; '
        'security by Cloudflare</div></div>', title="Just a moment...",
        head='<meta http-equiv="refresh" content="390"><script>(function(){window._cf_chl_opt={cvId:"3",'
             'cType:"managed"};var a=document.createElement("script");'
             'a.src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8f00aa11bb22cc33";'
             "document.head.appendChild(a);}());</script>")),
     CLOUDFLARE),
    ("cloudflare-attention-required-block", Page(_doc(
        '<div id="cf-wrapper"><div id="cf-error-details"><h1>Sorry, you have been blocked</h1><h2>You are '
        'unable to access lab.example</h2><h2>Why have I been blocked?</h2><p>This website uses a security '
        'service to protect itself from online attacks. The action you just performed triggered the security '
        'solution.</p><h2>What can I do to resolve this?</h2><p>You can email the site owner to let them '
        'know you were blocked.</p><p>Cloudflare Ray ID: <strong>8f00aa11bb22cc34</strong></p></div></div>',
        title="Attention Required! | Cloudflare")), CLOUDFLARE),
    ("cloudflare-old-browser-check", Page(_doc(
        '<table><tr><td><div id="cf-content"><h1>Checking your browser before accessing '
        'lab.example.</h1><p>This process is automatic. Your browser will redirect to your requested content '
        'shortly.</p><p>Please allow up to 5 seconds&hellip;</p></div><form id="challenge-form" '
        'action="/safety/framework?__cf_chl_jschl_tk__=abc123" '
        'method="POST"></form></td></tr></table>', title="Please Wait")),
     CLOUDFLARE),
    ("cloudflare-marker-beats-generic-captcha-wording", Page(_doc(
        '<h1>One more step</h1><p>Please complete the security check to access lab.example</p><div '
        'id="cf-chl-widget-k2f9" class="cf-turnstile"></div>', title="lab.example")), CLOUDFLARE),
    ("perimeterx-press-and-hold", Page(_doc(
        '<div class="page"><h1>Before we continue...</h1><p>Press &amp; Hold to confirm you are a human (and '
        'not a bot).</p><div id="px-captcha"></div><p>Reference ID '
        '0b7c1e2a-1111-2222-3333-444455556666</p></div><script '
        'src="https://captcha.px-cdn.net/PXabc123/captcha.js?a=c&m=0"></script>',
        title="Access to this page has been denied")), PERIMETERX),
    ("datadome-interstitial", Page(_doc(
        '<p id="cmsg">Please enable JS and disable any ad blocker</p>'
        '<script>var dd={"rt":"c","cid":"AHrlqAAAAAMA","hsh":"0D1F2E3C","s":12345,'
        '"host":"geo.captcha-delivery.com"}</script>'
        '<script src="https://ct.captcha-delivery.com/c.js"></script>', title="lab.example")),
     DATADOME),
    ("akamai-bot-manager-challenge", Page(_doc(
        '<div id="sec-if-cpt-container"><p>Please wait while your request is being '
        'verified...</p></div><script '
        'src="/_sec/cp_challenge/sec-cpt-4-0.js"></script>', title="lab.example")), AKAMAI),
    ("imperva-incident", Page(_doc(
        '<p>Request unsuccessful. Incapsula incident ID: 1234000560012345678-90123456789012345</p><iframe '
        'src="/_Incapsula_Resource?SWUDNSAI=31&xinfo=0-12345678-0%20NNNN"></iframe>',
        title="lab.example")), IMPERVA),
    ("vercel-checkpoint", Page(_doc(
        "<main><h1>We're verifying your browser</h1><p>Website owner? Click here to fix</p></main>",
        title="Vercel Security Checkpoint")), VERCEL),
    ("captcha-unusual-traffic-wording", Page(_doc(
        "<h1>Security check</h1><p>Our systems have detected unusual traffic from your computer network. "
        "Please try your request again later.</p>")), CAPTCHA),
    ("captcha-hcaptcha-widget-only", Page(_doc(
        '<h1>One more thing</h1><p>Tick the box below.</p><div class="h-captcha" '
        'data-sitekey="10000000-ffff"></div><script src="https://js.hcaptcha.com/1/api.js" async '
        'defer></script>')), CAPTCHA),
    ("akamai-access-denied", Page(
        '<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \nYou don\'t '
        'have permission to access "http&#58;&#47;&#47;lab&#46;example&#47;safety&#47;framework" on this '
        'server.<P>\nReference&#32;&#35;18&#46;2f3e4d5c&#46;1767000000&#46;1a2b3c4d\n</BODY>\n</HTML>\n'),
     ACCESS_DENIED),
    ("nginx-403-forbidden", Page(
        "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 "
        "Forbidden</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"), ACCESS_DENIED),
    ("login-title", Page(_doc(
        '<main><h2>Welcome back</h2><form action="/session"><input type="email" name="email"><input '
        'type="password" name="password"><button>Continue</button></form><p>Forgot your password?</p>'
        "<p>New here? Create an account</p></main>", title="Sign in | Example Lab Workspace")), LOGIN_WALL),
    ("login-heading", Page(_doc(
        "<main><h1>Log in to continue</h1><p>This document is shared with members of the partner programme "
        "only.</p></main>", title="Partner documents")), LOGIN_WALL),
    ("login-url-sso-host", Page(_doc(
        "<p>Redirecting you to your organisation's identity provider.</p>", title="Example Lab"),
        url="https://sso.lab.example/app/lab/exk1a2b3c4/sso/saml"), LOGIN_WALL),
    ("login-url-path", Page(_doc("<p>Loading your workspace.</p>", title="Example Lab", head=ANALYTICS),
                            url="https://lab.example/login?next=%2Fsafety%2Fframework"), LOGIN_WALL),
    ("login-password-form-only", Page(_doc(
        '<div id="app"><form method="post"><input name="u"><input type="password" name="p">'
        "<button>Go</button></form></div>", title="Example Lab")), LOGIN_WALL),
    ("soft-404-title", Page(_doc(
        "<main><h1>Hmm.</h1><p>We looked everywhere. Try the search, or start again from the home "
        "page.</p></main>", title="Page Not Found | Example Lab")), SOFT_404),
    ("soft-404-heading", Page(_doc(
        '<main><h1>404</h1><p>Sorry, that one is gone.</p><p><a href="/">Back home</a></p></main>',
        title="Example Lab")), SOFT_404),
    ("soft-404-wording", Page(_doc(
        "<main><h2>Lost?</h2><p>The page you're looking for doesn't exist or was moved to another "
        "address.</p></main>", title="Example Lab")), SOFT_404),
    ("soft-404-no-longer-available", Page(_doc(
        "<main><h1>This page is no longer available</h1><p>Browse our latest research instead.</p></main>",
        title="Example Lab")), SOFT_404),
    ("error-500", Page(_doc(
        "<h1>Internal Server Error</h1><p>The server encountered an internal error and was unable to "
        "complete your request.</p>", title="500 Internal Server Error")), ERROR_PAGE),
    ("error-maintenance", Page(_doc(
        "<main><h1>We'll be back soon</h1><p>The site is under maintenance.</p></main>",
        title="Example Lab")),
     ERROR_PAGE),
    ("error-something-went-wrong", Page(_doc(
        "<main><h1>Something went wrong</h1><p>Please refresh the page or try again in a few "
        "minutes.</p></main>",
        title="Example Lab", head=ANALYTICS)), ERROR_PAGE),
    ("error-nextjs-client-exception", Page(_doc(
        '<div id="__next"><h2>Application error: a client-side exception has occurred (see the browser '
        'console for more information).</h2></div><script '
        'src="/_next/static/chunks/main-1a2b3c.js"></script>',
        title="Example Lab")), ERROR_PAGE),
    ("empty-shell-react-root", Page(_doc(
        '<noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div><script '
        'defer src="/static/js/main.4f2a9c.js"></script>', title="Example Lab",
        head='<link rel="stylesheet" href="/static/css/main.9b1e.css">')), EMPTY_SHELL),
    ("empty-shell-next-spinner", Page(_doc(
        '<div id="__next"><div class="spinner">Loading\u2026</div></div><script id="__NEXT_DATA__" '
        'type="application/json">{"props":{"pageProps":{}},"page":"/safety/[slug]"}</script><script '
        'src="/_next/static/chunks/pages/_app-77aa.js" defer></script>', title="Example Lab")),
     EMPTY_SHELL),
    ("redirect-stub", Page(_doc('<p>Redirecting\u2026</p>', title="Redirect",
                                head='<meta http-equiv="refresh" content="0; url=/safety/framework-v2">')),
     REDIRECT_STUB),
    ("empty-body", Page(_doc("", title="Example Lab")), EMPTY_PAGE),
]


@pytest.mark.parametrize("page,reason", [(p, r) for _, p, r in NOT_CONTENT],
                         ids=[n for n, _, _ in NOT_CONTENT])
def test_not_content_is_caught_with_the_right_reason(page: Page, reason: str) -> None:
    assert page.reason() == reason


POLICY_PROSE = [
    "This framework describes how Example Lab decides whether a model may be trained further, deployed, or "
    "shared with partners, and which safeguards must be in place first. It applies to every model whose "
    "training compute exceeds the thresholds in the appendix, and to any fine-tune of such a model.",
    "Capability thresholds. For each risk domain we set a threshold at which existing safeguards stop being "
    "adequate. When an evaluation suggests a model is within reach of a threshold, we pause further scaling "
    "until the review board has signed off on an upgraded set of protections and documented its reasons.",
    "Account security. Staff with access to model weights must log in through hardware-backed single "
    "sign-on; a login from an unmanaged device is refused, and repeated failed sign in attempts lock the "
    "account. Public endpoints that accept free-text input are protected by rate limits and, where abuse is "
    "seen, a captcha, so that automated probing of the model cannot be scaled cheaply.",
    "Evaluation infrastructure. The harness records every request, including errors: a 404 from a retired "
    "endpoint, a timeout, or an internal server error in a grader is logged and the affected run is "
    "repeated. A run in which something went wrong is never silently dropped from the results we report.",
    "Incident response. If a safeguard fails, the on-call engineer opens an incident within one hour, and "
    "the page not found errors, access denied responses and other anomalies collected by monitoring are "
    "attached to the incident record. The security team reviews each incident and publishes a summary each "
    "quarter.",
    "Governance. The responsible scaling officer reports to the board twice a year. Any change to this "
    "framework is announced publicly together with the reasons for it, and earlier versions remain available "
    "in our archive so that readers can compare them line by line.",
    "External review. Independent evaluators receive early access under agreements that let them publish "
    "their findings. Where we disagree with a finding we say so in writing and explain what we will do.",
]
LONG_POLICY_BODY = ("<main><article><h1>Frontier Safety Framework</h1><p>Version 3.1, effective 1 March "
                    "2026</p>"
                    + "".join(f"<h2>Section {n}</h2>" + f"<p>{para}</p>" * 3
                              for n, para in enumerate(POLICY_PROSE, start=1))
                    + "</article></main>")
SHORT_ANNOUNCEMENT_BODY = (
    "<main><article><h1>Updating our safety framework</h1><p>Published 12 February 2026</p><p>Today we are "
    "publishing version 3.1 of our safety framework. The update clarifies when a model counts as approaching "
    "a capability threshold, adds a requirement for external review before deployment of the largest models, "
    "and shortens the time we allow ourselves to publish a summary of each evaluation.</p><p>We also moved "
    "the list of safeguards into a companion document, so that it can be updated when new protections are "
    "added without changing the framework itself. Both documents are linked below, together with a short "
    "table of what changed since version 3.0.</p><p>We welcome comments from researchers and the public "
    "until the end of March and will respond to the main themes in a follow-up note.</p></article></main>")
CHANGELOG_BODY = (
    "<main><h1>Changelog</h1><p>Updated 4 March 2026</p><ul><li>Fixed a broken link that returned 404 on the "
    "archived framework page.</li><li>Corrected the login instructions in the researcher access "
    "guide.</li><li>Added the summary of the February evaluation round, including the two runs where the "
    "grader hit an error and was re-run.</li><li>Clarified the captcha wording on the feedback "
    "form.</li></ul><p>Earlier entries are kept in the archive; nothing in the framework text itself changed "
    "this month, and the next scheduled review is in June. Send corrections to the policy team through the "
    "feedback form.</p></main>")
SECURITY_NOTE_BODY = (
    "<main><h1>Access denied by default: how we protect model weights</h1><p>Posted 2 April "
    "2026</p><p>Service status: the evaluation API was temporarily unavailable on 3 March; affected runs "
    "were repeated.</p><p>Weights of frontier models live in a separate enclave. Nobody has standing access; "
    "engineers request time-limited access that two reviewers approve, and every session is "
    "recorded.</p><h2>Error budgets and 404s on the status page</h2><p>We publish monthly uptime and error "
    "figures for the public endpoints, including requests for retired model names that now return "
    "404.</p></main>")
INDEX_BODY = ("<main><h1>System cards</h1><ul>" + "".join(
    f"<li><a href='/cards/model-{n}'>Model {n} system card</a></li>" for n in "ABCDEFGH") + "</ul></main>")

CONTENT = [
    ("long-policy-mentioning-login-captcha-404-error", Page(_doc(
        LONG_POLICY_BODY + NEWSLETTER_RECAPTCHA + LOGIN_DIALOG, title="Frontier Safety Framework",
        head=ANALYTICS + CF_BOT_MANAGEMENT))),
    ("short-announcement", Page(_doc(SHORT_ANNOUNCEMENT_BODY, title="Updating our safety framework",
                                     head=ANALYTICS))),
    ("short-announcement-behind-bot-management-with-newsletter-captcha", Page(_doc(
        SHORT_ANNOUNCEMENT_BODY + NEWSLETTER_RECAPTCHA, title="Updating our safety framework",
        head=ANALYTICS + CF_BOT_MANAGEMENT))),
    ("short-changelog-mentioning-404-and-login", Page(_doc(CHANGELOG_BODY, title="Changelog | Example Lab"))),
    ("short-note-with-error-like-headings", Page(_doc(SECURITY_NOTE_BODY, title="Access denied by default",
                                                      head=ANALYTICS))),
    ("short-index-page-of-links", Page(_doc(INDEX_BODY, title="System cards | Example Lab", head=ANALYTICS))),
]


@pytest.mark.parametrize("page", [p for _, p in CONTENT], ids=[n for n, _ in CONTENT])
def test_real_documents_are_content(page: Page) -> None:
    assert page.reason() is None
    assert page.reason(previous_chars=page.chars()) is None
    assert page.reason(previous_chars=10 * page.chars()) is None, "a real page that replaced a longer one"


def test_fixture_sizes_are_what_the_cases_claim() -> None:
    long_chars = Page(_doc(LONG_POLICY_BODY)).chars()
    short_chars = Page(_doc(SHORT_ANNOUNCEMENT_BODY)).chars()
    assert long_chars > 3 * LITTLE_TEXT
    assert 700 <= short_chars <= 1_000
    assert Page(_doc(CHANGELOG_BODY)).chars() < LITTLE_TEXT


RELATED = "".join(f"<li><a href='/research/{n}'>Research note {n}: notes on evaluating agentic models in "
                  f"sandboxed environments over long horizons</a></li>" for n in range(1, 26))
SOFT_404_WITH_BIG_LIST = Page(_doc(f"<main><h1>Page not found</h1><p>Perhaps one of "
                                   f"these?</p><ul>{RELATED}</ul>"
                                   "</main>", title="Example Lab"))


def test_a_wall_with_a_big_list_is_only_caught_when_the_document_used_to_be_much_longer() -> None:
    chars = SOFT_404_WITH_BIG_LIST.chars()
    assert LITTLE_TEXT < chars < 3 * LITTLE_TEXT

    assert SOFT_404_WITH_BIG_LIST.reason(previous_chars=None) is None
    assert SOFT_404_WITH_BIG_LIST.reason(previous_chars=chars + 500) is None
    assert SOFT_404_WITH_BIG_LIST.reason(previous_chars=30_000) == SOFT_404


def test_an_error_status_is_named() -> None:
    assert Page(_doc(SHORT_ANNOUNCEMENT_BODY)).reason(status=503) == "error status (HTTP 503)"


@pytest.mark.parametrize("text,reason", [
    ("Frontier Safety Framework\nVersion 3.1\n" + "\n".join(POLICY_PROSE), None),
    ("Sign in", None),
    ("", EMPTY_PDF),
    ("  \n ", EMPTY_PDF),
], ids=["pdf-with-text", "short-pdf-is-still-content", "pdf-without-text", "pdf-only-whitespace"])
def test_pdfs_are_content_unless_empty(text: str, reason: str | None) -> None:
    assert not_content_reason(status=200, fmt="pdf", raw_html=None, text=text, title=None,
                              url="https://lab.example/framework.pdf", previous_chars=40_000) == reason


@pytest.mark.parametrize("text,reason", [
    ("404 page not found", SOFT_404),
    ("Service Unavailable", ERROR_PAGE),
    ("", EMPTY_PAGE),
    ("\n".join(POLICY_PROSE), None),
], ids=["go-default-404", "proxy-503", "empty", "policy-as-plain-text"])
def test_plain_text_bodies(text: str, reason: str | None) -> None:
    assert not_content_reason(status=200, fmt="text", raw_html=None, text=text, title=None,
                              url="https://lab.example/framework.txt", previous_chars=None) == reason


@pytest.mark.parametrize("previous,new,ratio,expected", [
    (None, 10, 0.5, False),
    (0, 0, 0.5, False),
    (10_000, 4_999, 0.5, True),
    (10_000, 5_000, 0.5, False),
    (10_000, 12_000, 0.5, False),
    (10_000, 6_000, 0.7, True),
    (10_000, 0, 0.5, True),
], ids=["no-previous", "previous-empty", "lost-most", "exactly-half", "grew", "custom-ratio", "now-empty"])
def test_shrank_suspiciously(previous: int | None, new: int, ratio: float, expected: bool) -> None:
    assert shrank_suspiciously(previous, new, ratio=ratio) is expected


@pytest.mark.parametrize("ratio", [0, -0.5, 1.5])
def test_shrank_suspiciously_rejects_nonsense_ratios(ratio: float) -> None:
    with pytest.raises(ValueError, match="ratio"):
        shrank_suspiciously(100, 10, ratio=ratio)
