"""The links of an index, changelog or announcement page: what was added, removed or repointed (pure).

    diff_links(old, new) -> LinkDiff          identity is the normalized URL; repointed pairs share anchors
    is_trackable(link, page_url) -> bool      worth tracking as a new document (a PDF, or a page on this site)
    discovered_source_id(parent_id, link)     a stable slug id for a source found on the parent's page
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

MAX_ID_CHARS = 80  # sources.toml ids: ^[a-z0-9][a-z0-9-]{0,79}$
MAX_SLUG_CHARS = 40
HASH_CHARS = 6
DEFAULT_PORTS = {"http": 80, "https": 443}

# Anchor texts that say nothing about the target: never an identity for "repointed".
GENERIC_ANCHORS = frozenset({
    "", "here", "click here", "this", "this link", "link", "read", "read more", "more", "see more",
    "learn more", "find out more", "more info", "more information", "details", "view", "view more", "open",
    "continue", "continue reading", "download", "download pdf", "download here", "pdf", "full pdf",
    "full text", "html", "source", "website", "visit", "go",
})

SOCIAL_HOSTS = ("twitter.com", "x.com", "facebook.com", "fb.com", "linkedin.com", "instagram.com",
                "youtube.com", "youtu.be", "tiktok.com", "threads.net", "mastodon.social", "bsky.app",
                "reddit.com", "discord.gg", "discord.com", "t.me", "pinterest.com")
# Path segments (or a file's stem) that mark navigation and utility pages.
UTILITY_SEGMENTS = re.compile(
    r"^(?:login|log-in|logout|log-out|signin|sign-in|signup|sign-up|register|account|accounts|careers?|jobs"
    r"|privacy|privacy-policy|privacy-notice|terms|terms-of-service|terms-of-use|tos|cookies?|cookie-policy"
    r"|cookie-settings|cookie-notice|contact|contact-us|contact-sales|search|subscribe|unsubscribe|newsletter"
    r"|tag|tags|category|categories|topic|topics|author|authors|feed|feeds|rss|atom"
    r"|cdn-cgi|wp-admin|wp-login)$")
# Anchor texts that mark navigation and utility links wherever they point.
UTILITY_ANCHORS = re.compile(
    r"^(?:log ?in|log out|sign ?in|sign ?up|sign out|register|my account|careers?|jobs|join us|we're hiring"
    r"|privacy(?: policy| notice)?|terms(?: of (?:service|use))?|cookie(?:s| policy| settings| preferences)"
    r"|contact(?: us| sales)?|search|subscribe|newsletter|rss|feed|skip to (?:main )?content|back to top"
    r"|next|previous|prev|older posts|newer posts|next page|previous page|\d+)$")
PAGINATION_PATH = re.compile(r"/page/\d+/?$")
PAGINATION_QUERY = re.compile(r"(?:^|&)(?:page|paged|offset|start)=\d+(?:&|$)")  # not '?p=': a post id
ASSET_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico", ".bmp", ".css", ".js",
                  ".mjs", ".map", ".json", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm",
                  ".mov", ".zip", ".gz", ".xml", ".rss", ".atom")
# Path segments that name nothing: a slug is looked for further up the path, then in the anchor text.
NAMELESS_SEGMENTS = frozenset({"index", "download", "downloads", "file", "files", "view", "pdf", "pdfs",
                               "doc", "docs", "document", "documents", "media", "assets", "static", "uploads",
                               "content", "en", "en-us", "en-gb", "api", "raw", "blob", "main", "latest"})
# Segments built like ids ('12345', '5f3a9c0e1b2d...', uuid-like) name nothing either.
_ID_LIKE = re.compile(r"^(?:\d+|[0-9a-f]{12,}|[0-9a-f-]{20,})$")


@dataclass(frozen=True)
class LinkRecord:
    """One link of a stored version: absolute URL and anchor text (stored JSON [{url, text}])."""

    url: str
    text: str


@dataclass(frozen=True)
class LinkDiff:
    """How the links of a page changed between two versions."""

    added: tuple[LinkRecord, ...]
    removed: tuple[LinkRecord, ...]
    repointed: tuple[tuple[LinkRecord, LinkRecord], ...]  # (old, new): same anchor text, different URL

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not (self.added or self.removed or self.repointed)


def link_records(stored: Iterable[Mapping[str, str]]) -> tuple[LinkRecord, ...]:
    """LinkRecords from the stored JSON list of {url, text}."""
    return tuple(LinkRecord(url=str(item["url"]), text=str(item.get("text") or "")) for item in stored)


def normalize_url(url: str) -> str:
    """The URL compared for identity: no fragment, default port or trailing slash; lowercase host."""
    parts = _split(url)
    if parts is None:
        return url.strip().split("#", 1)[0]
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    port = parts.port if parts.port != DEFAULT_PORTS.get(scheme) else None
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (f"{userinfo}@" if userinfo else "") + (f"[{host}]" if ":" in host else host)
    netloc += f":{port}" if port is not None else ""
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def anchor_key(text: str) -> str:
    """Anchor text compared for identity: case-folded, single-spaced, without surrounding punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"^[\W_]+|[\W_]+$", "", text)


def is_generic_anchor(text: str) -> bool:
    """True for anchor texts that do not name their target ('here', 'read more', 'PDF', '')."""
    key = anchor_key(text)
    return key in GENERIC_ANCHORS or not re.search(r"\w", key)


def diff_links(old: Sequence[LinkRecord], new: Sequence[LinkRecord]) -> LinkDiff:
    """Links added, removed, and repointed (same non-generic anchor text, another URL) from old to new."""
    old_by_url, new_by_url = _by_url(old), _by_url(new)
    removed = [link for key, link in old_by_url.items() if key not in new_by_url]
    added = [link for key, link in new_by_url.items() if key not in old_by_url]
    removed_by_anchor: dict[str, list[LinkRecord]] = defaultdict(list)
    for link in removed:
        if not is_generic_anchor(link.text):
            removed_by_anchor[anchor_key(link.text)].append(link)
    repointed: list[tuple[LinkRecord, LinkRecord]] = []
    for link in added:
        candidates = [] if is_generic_anchor(link.text) else removed_by_anchor.get(anchor_key(link.text))
        if candidates:
            repointed.append((candidates.pop(0), link))
    paired = {normalize_url(link.url) for pair in repointed for link in pair}
    return LinkDiff(added=tuple(link for link in added if normalize_url(link.url) not in paired),
                    removed=tuple(link for link in removed if normalize_url(link.url) not in paired),
                    repointed=tuple(repointed))


def is_trackable(link: LinkRecord, page_url: str) -> bool:
    """A PDF anywhere or a page on the same site; not navigation, utility, an asset or the page itself."""
    parts, page = _split(link.url), _split(page_url)
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    if normalize_url(link.url) == normalize_url(page_url) or _is_social(parts.hostname):
        return False
    path = parts.path.lower()
    if _is_utility(path, parts.query, link.text) or path.endswith(ASSET_SUFFIXES):
        return False
    page_host = page.hostname if page is not None and page.hostname else ""
    return path.endswith(".pdf") or (bool(page_host) and _site(parts.hostname) == _site(page_host))


def discovered_source_id(parent_id: str, link: LinkRecord) -> str:
    """Parent id + a slug of the URL path (or anchor text) + 6 hex of sha256(normalized URL); max 80 chars."""
    digest = hashlib.sha256(normalize_url(link.url).encode()).hexdigest()[:HASH_CHARS]
    slug = _shorten(_path_slug(link.url) or slugify(link.text), MAX_SLUG_CHARS)
    head = "-".join(part for part in (slugify(parent_id), slug) if part)
    head = head[:MAX_ID_CHARS - HASH_CHARS - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest


def slugify(text: str) -> str:
    """Lowercase ASCII letters and digits joined by single hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _by_url(links: Sequence[LinkRecord]) -> dict[str, LinkRecord]:
    """One record per normalized URL, in page order: the first with a telling anchor text, else the first."""
    chosen: dict[str, LinkRecord] = {}
    for link in links:
        key = normalize_url(link.url)
        if key not in chosen or (is_generic_anchor(chosen[key].text) and not is_generic_anchor(link.text)):
            chosen[key] = link
    return chosen


def _split(url: str) -> SplitResult | None:
    """urlsplit, or None for a URL it cannot read (a bad port, an unclosed IPv6 bracket)."""
    try:
        parts = urlsplit(url.strip())
        _ = parts.port
    except ValueError:
        return None
    return parts


def _site(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _is_social(host: str) -> bool:
    site = _site(host)
    return any(site == social or site.endswith("." + social) for social in SOCIAL_HOSTS)


def _is_utility(path: str, query: str, text: str) -> bool:
    segments = [segment for segment in path.split("/") if segment]
    stems = [*segments[:-1], segments[-1].rsplit(".", 1)[0]] if segments else []
    return (any(UTILITY_SEGMENTS.match(stem) for stem in stems) or bool(PAGINATION_PATH.search(path))
            or bool(PAGINATION_QUERY.search(query.lower())) or bool(UTILITY_ANCHORS.match(anchor_key(text))))


def _path_slug(url: str) -> str:
    """A slug from the last path segment that names something, going up the path."""
    for segment in reversed([s for s in urlsplit(url).path.split("/") if s]):
        stem = re.sub(r"\.(?:pdf|html?|php|aspx?)$", "", unquote(segment).lower())
        slug = slugify(stem)
        if slug and slug not in NAMELESS_SEGMENTS and not _ID_LIKE.match(slug):
            return slug
    return ""


def _shorten(slug: str, limit: int) -> str:
    """Cut a slug to `limit` chars at a hyphen where possible."""
    if len(slug) <= limit:
        return slug
    cut = slug[:limit]
    return cut.rsplit("-", 1)[0] if "-" in cut else cut
