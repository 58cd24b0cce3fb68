"""Tell a 200 response that is not the document (challenge, wall, soft 404, error page, empty shell) (pure).

    not_content_reason(...) -> str | None     a reason a user reads, or None when the body is content
    shrank_suspiciously(previous, new) -> bool  the text lost most of its length: re-fetch before storing

Every textual signal only counts on a page with little text, so a long policy that mentions "login",
"captcha", "404" or "error" in its prose is always content. Signals that also appear on real pages (vendor
bot-management scripts, captcha widgets on newsletter forms) need even less text. When the text lost most of
its previous length, the limits of the wording signals are multiplied by SHRUNK_FACTOR: a wall that replaced
a long document is caught even when it carries a big footer. Script, widget and empty-page signals keep their
limits, so a real short notice that replaced a long document is still stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

LITTLE_TEXT = 1_500  # chars of text below which a wall / 404 / error signal is believable
TINY_TEXT = 400  # for signals that real pages also carry (vendor scripts, captcha widgets)
EMPTY_SHELL_TEXT = 120  # a script-carrying page with less text than this is an unrendered JS app...
SHELL_MAX_LINES = 2  # ...when that text is at most this many lines, none a heading (short real pages have one)
SHRUNK_FACTOR = 3  # limits are multiplied by this when the text lost most of its previous length
LEAD_LINES = 3  # the first lines of text read as prominent, like the title and headings
LEAD_LINE_MAX = 200  # ...when they are short enough to be a heading or a one-line message

CLOUDFLARE = "bot challenge (Cloudflare)"
CAPTCHA = "bot challenge (captcha)"
PERIMETERX = "bot challenge (PerimeterX)"
DATADOME = "bot challenge (DataDome)"
AKAMAI = "bot challenge (Akamai)"
IMPERVA = "bot challenge (Imperva)"
VERCEL = "bot challenge (Vercel)"
AWS_WAF = "bot challenge (AWS WAF)"
ACCESS_DENIED = "access denied"
LOGIN_WALL = "login wall"
SOFT_404 = "soft 404 (page says not found)"
ERROR_PAGE = "error page"
REDIRECT_STUB = "redirect stub (meta refresh with no text)"
EMPTY_SHELL = "empty shell (script-only page with no text)"
EMPTY_PAGE = "empty page (no text)"
EMPTY_PDF = "empty PDF (no extractable text)"

# Where a signal looks:
#   title  the page title
#   lead   the title, every heading line and the first short lines of text, one a line ('#'/'-' marks removed)
#   text   the whole normalized text
#   raw    the raw HTML (scripts, attributes, inputs: what normalization drops)
#   url    host + path of the final URL, lowercased


@dataclass(frozen=True)
class Signal:
    """One rule: a pattern in some places of a page with fewer than `max_chars` of text means `reason`."""

    reason: str
    places: tuple[str, ...]
    pattern: re.Pattern[str]
    max_chars: int = LITTLE_TEXT
    and_text: re.Pattern[str] | None = None  # when set, the text must match this too
    shrink_sensitive: bool = True  # limit grows by SHRUNK_FACTOR when the text lost most of its length


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.MULTILINE)


_PAGE_WORDS = r"(?:page|content|document|resource|article|post|url|link)"
_CANT = r"(?:does\s+not|doesn't|could\s+not|couldn't|can\s*not|can't|may\s+not|no\s+longer)"
_OOPS = r"(?:(?:oops|sorry|uh-? ?oh|hmm)[!,.]*\s*)?"  # "Oops! Something went wrong"
_FEW_LINES = re.compile(rf"\A(?!#)[^\n]*(?:\n(?!#)[^\n]*){{0,{SHELL_MAX_LINES - 1}}}\Z")  # no heading, few lines
_PASSWORD_INPUT = _rx(r"<input\b[^>]*\btype\s*=\s*[\"']?password\b")


def _status(code: str) -> str:
    """An optional 'HTTP 503 -' / 'Error 500:' prefix of an error line."""
    return rf"(?:(?:http\s+)?(?:error\s+)?{code}\s*[-:|]?\s*)?"


# First match wins: challenges before walls, walls before 404s, 404s before errors, and empty last.
SIGNALS: tuple[Signal, ...] = (
    # Cloudflare: interstitial titles, its wording, and challenge-only script and element names.
    Signal(CLOUDFLARE, ("title",), _rx(r"^just a moment\.*$|^attention required!? \| cloudflare$"
                                       r"|\|\s*cloudflare$")),
    Signal(CLOUDFLARE, ("text",), _rx(r"checking your browser before accessing"
                                      r"|checking if the site connection is secure"
                                      r"|enable javascript and cookies to continue"
                                      r"|needs to review the security of your connection"
                                      r"|performance (?:&|and) security by cloudflare|cloudflare ray id")),
    Signal(CLOUDFLARE, ("raw",), _rx(r"cf-browser-verification|_cf_chl_opt|cf_chl_|cf-chl-"
                                     r"|/cdn-cgi/challenge-platform/[^\"'\s]*orchestrate")),
    # ...also injected into real pages by bot management and Turnstile: only on near-empty pages.
    Signal(CLOUDFLARE, ("raw",), _rx(r"/cdn-cgi/challenge-platform|challenges\.cloudflare\.com|cf-turnstile"),
           max_chars=TINY_TEXT, shrink_sensitive=False),
    # Other bot-management vendors: their block pages, then the tags they also put on real pages.
    Signal(PERIMETERX, ("raw",), _rx(r"px-captcha|captcha\.px-cdn\.net|/captcha/captcha\.js")),
    Signal(PERIMETERX, ("text",), _rx(r"press (?:&|and) hold to confirm")),
    Signal(DATADOME, ("raw",), _rx(r"captcha-delivery\.com")),
    Signal(DATADOME, ("raw",), _rx(r"datadome"), max_chars=TINY_TEXT, shrink_sensitive=False),
    Signal(AKAMAI, ("raw",), _rx(r"bm-verify|/_sec/cp_challenge|sec-if-cpt-container")),
    Signal(IMPERVA, ("raw", "text"), _rx(r"_incapsula_resource|incapsula incident id")),
    Signal(VERCEL, ("title", "text"), _rx(r"vercel security checkpoint")),
    Signal(AWS_WAF, ("raw",), _rx(r"awswaf\.com|awswafintegration"), max_chars=TINY_TEXT,
           shrink_sensitive=False),
    # Generic captcha interstitials: the wording, then a widget on a near-empty page.
    Signal(CAPTCHA, ("text",), _rx(r"verify(?:ing)? (?:that )?you(?: are|'re) (?:a )?human|are you a robot"
                                   r"|unusual traffic from your (?:computer )?network"
                                   r"|complete the security check"
                                   r"|prove you(?: are|'re) (?:not a robot|human)")),
    Signal(CAPTCHA, ("raw",), _rx(r"class=[\"'][^\"']*\b(?:g-recaptcha|h-captcha|frc-captcha)\b"
                                  r"|google\.com/recaptcha/|recaptcha\.net/recaptcha"
                                  r"|hcaptcha\.com/1/api\.js"),
           max_chars=TINY_TEXT, shrink_sensitive=False),
    # Access denied by the server or its CDN (Akamai's "Reference #18...", WAF block pages).
    Signal(ACCESS_DENIED, ("title", "lead"), _rx(r"^access denied(?:[.!]?$|\s*[|:\u2013\u2014-])"
                                                 rf"|^{_status('403')}forbidden[.!]?$"
                                                 r"|^(?:http\s+)?(?:error\s+)?403\b.{0,40}$"
                                                 r"|^(?:the )?request (?:was |has been )?blocked[.!]?$")),
    Signal(ACCESS_DENIED, ("text",), _rx(r"you (?:don't|do not) have permission to access"
                                         r"|the request (?:is|was|has been) blocked")),
    # Login walls: the title or a short line is a sign-in prompt, the URL is a sign-in endpoint, or a
    # password field sits on a page with little text about accounts.
    Signal(LOGIN_WALL, ("title",), _rx(r"^(?:please\s+)?(?:sign|log)[ -]?in\b|^login\b"
                                       r"|[|:\u2013\u2014-]\s*(?:sign|log)[ -]?in\s*$")),
    Signal(LOGIN_WALL, ("lead",), _rx(r"^(?:please\s+)?(?:sign|log)[ -]?in(?: to (?:continue|your account"
                                      r"|access [^.\n]{0,40}))?[.!]?$|^login$"
                                      r"|you (?:must|need to) (?:be )?(?:signed|logged|sign|log) ?in"
                                      r"|(?:login|sign[ -]?in|authentication) (?:is )?required"
                                      r"|your session (?:has )?expired")),
    Signal(LOGIN_WALL, ("url",), _rx(r"^(?:login|signin|sso|auth|accounts?)\."
                                     r"|/(?:login|log-in|signin|sign-in|sso|oauth2?|authorize|saml2?)"
                                     r"(?:/|$)")),
    Signal(LOGIN_WALL, ("raw",), _PASSWORD_INPUT, max_chars=TINY_TEXT, shrink_sensitive=False),
    Signal(LOGIN_WALL, ("raw",), _PASSWORD_INPUT,
           and_text=_rx(r"\b(?:sign|log)[ -]?(?:in|up)\b|\blogin\b|\bpassword\b|\baccount\b")),
    # Soft 404: the page says it is not there.
    Signal(SOFT_404, ("title",), _rx(r"(?:^|[^\w.-])404(?:$|[^\w.-])")),
    Signal(SOFT_404, ("lead",), _rx(r"^(?:error\s*)?404\b|\b404\s*[-:|]?\s*(?:page\s+)?not found")),
    Signal(SOFT_404, ("title", "lead"), _rx(r"\bpage not found\b|^not found\b|\bnot found\s*$"
                                            r"|^(?:this|that) page (?:doesn't|does not) exist"
                                            rf"|\b{_PAGE_WORDS}\b[^.\n]{{0,40}}\bno longer available\b")),
    Signal(SOFT_404, ("text",), _rx(rf"the {_PAGE_WORDS} you(?: are|'re| were)? (?:looking for|requested) "
                                    rf"{_CANT} (?:exist|be found|be located|available)"
                                    r"|we (?:couldn't|could not|can't|cannot) find (?:that|this|the) page"
                                    r"|(?:this|that) page (?:doesn't|does not) exist")),
    # Server and application error pages served with a 200: the title or a short line starts with the error.
    Signal(ERROR_PAGE, ("title", "lead"), _rx(rf"^{_OOPS}{_status('500')}internal server error"
                                              rf"|^{_status('503')}service (?:temporarily )?unavailable"
                                              rf"|^{_status('502')}bad gateway"
                                              rf"|^{_status('504')}gateway time-?out"
                                              r"|^(?:http\s+)?(?:error\s+)?5\d\d$"
                                              rf"|^{_OOPS}something went wrong"
                                              rf"|^{_OOPS}an? (?:unexpected )?error (?:has )?occurred"
                                              r"|^(?:(?:the |this |our )?(?:site|website|service|page) is "
                                              r"|we(?:'re| are) )?(?:currently |temporarily )?"
                                              r"(?:down for|under) (?:scheduled )?maintenance"
                                              r"|^(?:(?:the |this )?(?:site|website|service|page) is )?"
                                              r"(?:currently )?temporarily unavailable"
                                              r"|^application error\b")),
    Signal(ERROR_PAGE, ("text",), _rx(r"application error: a (?:client|server)-side exception has occurred")),
    # Nearly no text at all.
    Signal(REDIRECT_STUB, ("raw",), _rx(r"<meta\b[^>]*http-equiv\s*=\s*[\"']?refresh"),
           max_chars=EMPTY_SHELL_TEXT, and_text=_FEW_LINES, shrink_sensitive=False),
    Signal(EMPTY_SHELL, ("raw",), _rx(r"<script\b"), max_chars=EMPTY_SHELL_TEXT, and_text=_FEW_LINES,
           shrink_sensitive=False),
)


@dataclass(frozen=True)
class _Page:
    """The places a signal can look in, prepared once."""

    title: str
    lead: str
    text: str
    raw: str
    url: str

    def place(self, name: str) -> str:
        """The text of one place ('title', 'lead', 'text', 'raw' or 'url')."""
        return str(getattr(self, name))


def not_content_reason(*, status: int, fmt: str, raw_html: str | None, text: str, title: str | None, url: str,
                       previous_chars: int | None) -> str | None:
    """Why this body is not content (challenge, login wall, soft 404, error page, empty shell), or None."""
    text = text.strip()
    if status >= 400:
        return f"error status (HTTP {status})"
    if fmt == "pdf":
        return EMPTY_PDF if not text else None
    chars = len(text)
    shrunk = shrank_suspiciously(previous_chars, chars)
    page = _Page(title=(title or "").strip(), lead=lead_lines(title, text), text=text, raw=raw_html or "",
                 url=_host_and_path(url))
    for signal in SIGNALS:
        if chars < _limit(signal, shrunk) and _fires(signal, page):
            return signal.reason
    return EMPTY_PAGE if not text else None


def shrank_suspiciously(previous_chars: int | None, new_chars: int, *, ratio: float = 0.5) -> bool:
    """True when the text lost most of its length (new < ratio * previous): re-fetch before storing."""
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], not {ratio}")
    if previous_chars is None or previous_chars <= 0:
        return False
    return new_chars < ratio * previous_chars


def lead_lines(title: str | None, text: str) -> str:
    """The prominent lines of a page: its title, every heading, and its first short lines, marks removed."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    lead = [title.strip()] if title and title.strip() else []
    lead += [line for line in lines[:LEAD_LINES] if len(line) <= LEAD_LINE_MAX]
    lead += [line for line in lines[LEAD_LINES:] if line.startswith("#")]
    return "\n".join(re.sub(r"^(?:#+|-)\s+", "", line) for line in lead)


def _limit(signal: Signal, shrunk: bool) -> int:
    return signal.max_chars * SHRUNK_FACTOR if shrunk and signal.shrink_sensitive else signal.max_chars


def _fires(signal: Signal, page: _Page) -> bool:
    if not any(signal.pattern.search(page.place(name)) for name in signal.places):
        return False
    return signal.and_text is None or bool(signal.and_text.search(page.text))


def _host_and_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}{parts.path.lower()}"
